// systemctl on systemd hosts, the Debian init scripts (`service X action`) elsewhere.
// (Kept in apply until src/facts/commands.ts lands with the shared serviceCommand; then this re-exports it.)
import type { HostFacts } from '../facts/types.js';
import type { Service } from '../render/types.js';

export function unitName(facts: HostFacts, service: Service): string {
  if (service === 'php-fpm') return facts.php?.service ?? 'php-fpm';
  if (service === 'redis') return facts.redis?.service ?? 'redis-server';
  if (service === 'mysql') return facts.db?.service ?? 'mariadb';
  return 'proxysql';
}

export function serviceCommand(facts: HostFacts, service: Service, action: 'reload' | 'restart' | 'start' | 'stop' | 'status'): string[] {
  const unit = unitName(facts, service);
  return facts.initSystem === 'systemd' ? ['systemctl', action, unit] : ['service', unit, action];
}
