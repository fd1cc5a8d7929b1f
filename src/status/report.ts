// Assembling the status report: what the profile plans for each host (from the sizing), the probes each role calls
// for, and the report with its exit code. The CLI connects and prints; everything here works on a given transport.
import type { HostSpec, Role } from '../config/types.js';
import { EXIT } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { maskText } from '../mask.js';
import type { SiteSizing } from '../sizing/types.js';
import type { Transport } from '../transport/types.js';
import { probeHost, probeFpm, probeMysql, probeNginxLb, probeProxysql, probeRedis, probeReplica, type ProbeInput } from './probes.js';
import { STATUS_SCHEMA, type Expectations, type HostReport, type ServiceReport, type StatusReport } from './types.js';
import { worst } from './verdicts.js';

/** What the profile plans for one host; empty parts where the sizing has none (the figures then carry no `planned`). */
export function expectationsFor(sizing: SiteSizing | undefined, hostName: string, perHourLimit?: number): Expectations {
  const exp: Expectations = {};
  const limit = sizing?.chain.perHourLimit ?? perHourLimit;
  if (limit !== undefined) exp.connectionsPerHourLimit = limit;
  if (!sizing) return exp;
  exp.cacheHitRatio = sizing.profile.workload.cacheHitRatio;
  const h = sizing.hosts.find((x) => x.host.name === hostName);
  if (!h) return exp;
  if (h.fpm) exp.fpm = { maxChildren: h.fpm.maxChildren.value };
  if (h.redis) exp.redis = { maxmemory: h.redis.maxmemory.value, maxclients: h.redis.maxclients.value };
  if (h.mysql) exp.mysql = { maxConnections: h.mysql.maxConnections.value };
  if (h.proxysql) {
    exp.proxysql = {
      servers: h.proxysql.servers.map((s) => ({ address: s.address, port: s.port, hostgroup: s.hostgroup, maxConnections: s.maxConnections })),
      frontendMaxConnections: h.proxysql.frontendMaxConnections.value,
    };
  }
  if (h.host.roles.includes('db-replica')) {
    // The lag ProxySQL shuns this replica at, when it sits in a planned pool.
    const lags = sizing.hosts
      .flatMap((x) => x.proxysql?.servers ?? [])
      .filter((s) => s.address === (h.mysql?.address ?? h.host.privateAddress) && s.maxReplicationLag > 0)
      .map((s) => s.maxReplicationLag);
    if (lags.length > 0) exp.replicaMaxLag = Math.min(...lags);
  }
  return exp;
}

type Probe = (input: ProbeInput) => Promise<ServiceReport>;

/** The probes a host's roles call for, in the order the report shows them (front to back, as requests travel). */
export function probesFor(roles: readonly Role[]): Probe[] {
  const probes: Probe[] = [];
  if (roles.includes('lb')) probes.push(probeNginxLb);
  if (roles.includes('web')) probes.push(probeFpm);
  if (roles.includes('cache')) probes.push(probeRedis);
  if (roles.includes('proxysql')) probes.push(probeProxysql);
  if (roles.includes('db-primary') || roles.includes('db-replica')) probes.push(probeMysql);
  if (roles.includes('db-replica')) probes.push(probeReplica);
  return probes;
}

export interface HostStatusInput {
  host: HostSpec;
  transport: Transport;
  facts: HostFacts;
  expectations: Expectations;
  secrets: { redisPassword?: string; proxysqlAdminPassword?: string };
  timeoutMs?: number;
  /** Also read the host's CPU and memory (one more command, a second long): the CLI always does. */
  hostFigures?: boolean;
}

/** Every probe of the host's roles, one after another over its one connection. */
export async function hostStatus(input: HostStatusInput): Promise<HostReport> {
  const services: ServiceReport[] = [];
  const probeInput: ProbeInput = {
    t: input.transport,
    facts: input.facts,
    exp: input.expectations,
    redisPassword: input.secrets.redisPassword,
    proxysqlAdminPassword: input.secrets.proxysqlAdminPassword,
    timeoutMs: input.timeoutMs,
  };
  // The host first: CPU and memory matter to every role.
  const probes = input.hostFigures ? [probeHost, ...probesFor(input.host.roles)] : probesFor(input.host.roles);
  for (const probe of probes) services.push(await probe(probeInput));
  const secrets = [input.secrets.redisPassword, input.secrets.proxysqlAdminPassword];
  // Daemons do not quote passwords back, but a report must never carry one: mask every free text anyway.
  for (const s of services) {
    if (s.error) s.error = maskText(s.error, secrets);
    for (const f of s.figures) if (f.note) f.note = maskText(f.note, secrets);
  }
  return {
    host: input.host.name,
    roles: [...input.host.roles],
    reachable: true,
    mark: services.some((s) => !s.answered) ? 'warn' : worst(services.flatMap((s) => s.figures)),
    services,
  };
}

/** A host that could not be reached (exit code 4) or whose facts could not be read (1). */
export function unreachableHost(host: HostSpec, error: { message: string; exitCode: number }): HostReport {
  return { host: host.name, roles: [...host.roles], reachable: false, error, mark: 'warn', services: [] };
}

/**
 * Exit codes: 4 when a host could not be reached (or refused its host key); 1 when a host could not be read or a
 * service of its roles did not answer; 0 otherwise, warnings included: out-of-bounds figures are information for
 * the operator, not a failure of the command.
 */
export function exitCodeFor(hosts: HostReport[]): number {
  if (hosts.some((h) => !h.reachable && h.error?.exitCode === EXIT.unreachable)) return EXIT.unreachable;
  if (hosts.some((h) => !h.reachable || h.services.some((s) => !s.answered))) return EXIT.error;
  return EXIT.ok;
}

export function assembleReport(profile: string, hosts: HostReport[], notes: string[] = [], now: Date = new Date()): StatusReport {
  const exitCode = exitCodeFor(hosts);
  const warnings = hosts.reduce((n, h) => n + h.services.reduce((m, s) => m + s.figures.filter((f) => f.mark === 'warn').length, 0), 0);
  const servicesDown = hosts.reduce((n, h) => n + h.services.filter((s) => !s.answered).length, 0);
  return {
    schema: STATUS_SCHEMA,
    time: now.toISOString(),
    profile,
    ok: exitCode === EXIT.ok && warnings === 0,
    exitCode,
    summary: { hosts: hosts.length, unreachable: hosts.filter((h) => !h.reachable).length, servicesDown, warnings },
    hosts,
    notes,
  };
}
