// Run the CLI in-process, as a user would from a shell, and capture what it prints.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; isTTY?: boolean } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    isTTY: opts.isTTY ?? false,
    env: opts.env ?? { HOME: '/nonexistent' },
    cwd: opts.cwd ?? process.cwd(),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

export const SECRET_ENV: Record<string, string> = {
  REDIS_PASSWORD: 'e2e-redis-Pw-41',
  APP_DB_PASSWORD: 'e2e-app-Pw-42',
  REPL_PASSWORD: 'e2e-repl-Pw-43',
  PROXYSQL_ADMIN_PASSWORD: 'e2e-admin-Pw-44',
  PROXYSQL_MONITOR_PASSWORD: 'e2e-monitor-Pw-45',
};

const SECRET_KEYS: Record<string, string> = {
  redis_password: 'REDIS_PASSWORD',
  app_db_password: 'APP_DB_PASSWORD',
  replication_password: 'REPL_PASSWORD',
  proxysql_admin_password: 'PROXYSQL_ADMIN_PASSWORD',
  proxysql_monitor_password: 'PROXYSQL_MONITOR_PASSWORD',
};

export interface SiteHost {
  name: string;
  address: string;
  port?: number;
  user?: string;
  identity?: string;
  hostKey?: string;
  roles: string[];
}

/** Write a site file for the given hosts, with every secret from the environment. */
export function writeSite(file: string, profile: string, hosts: SiteHost[]): string {
  const lines = [`profile: ${profile}`, 'hosts:'];
  for (const h of hosts) {
    lines.push(`  ${h.name}:`, `    address: ${h.address}`);
    if (h.port) lines.push(`    port: ${h.port}`);
    if (h.user) lines.push(`    user: ${h.user}`);
    if (h.identity) lines.push(`    identity: ${h.identity}`);
    if (h.hostKey) lines.push(`    host_key: ${h.hostKey}`);
    lines.push(`    roles: [${h.roles.join(', ')}]`);
  }
  lines.push('app:', '  database: restro', '  db_user: restro', 'secrets:');
  for (const [k, v] of Object.entries(SECRET_KEYS)) lines.push(`  ${k}: env:${v}`);
  writeFileSync(file, lines.join('\n') + '\n');
  return path.resolve(file);
}
