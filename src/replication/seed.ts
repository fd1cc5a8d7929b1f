// Seeding a replica from a consistent snapshot of the primary, streamed host to host: the dump's stdout on the primary's
// SSH channel is piped (through this process, in memory, with backpressure) into the client's stdin on the replica's.
// Nothing is staged in a file on either host, and no password is in either command line (root logs in through the
// unix socket; the replication password travels only inside CHANGE MASTER on the replica client's stdin).
import { UserError } from '../errors.js';
import type { CommandStream, Transport } from '../transport/types.js';
import { transportSqlRunner, type SqlRunner } from './client.js';
import type { Dialect } from './flavour.js';
import type { DbNode } from './spec.js';
import { parseVertical } from './status.js';
import { script } from './sql.js';
import { maskText } from '../mask.js';
import { SEED_PROLOGUE, seedEpilogue, dumpCommand, pointAtPrimary, preSeedStatements, plain, waitForPosition } from './statements.js';
import { readReplicaState } from './state.js';

export interface SeedOptions {
  dialect: Dialect;
  primary: Transport;
  replica: Transport;
  primaryNode: DbNode;
  user: string;
  password: string;
  database: string;
  /** Bound on the dump and load together. Default 30 minutes. */
  dumpTimeoutMs?: number;
  /** Bound on catching up after the start. Default 60 s. */
  catchUpTimeoutMs?: number;
  log?: (line: string) => void;
}

function collect(stream: NodeJS.ReadableStream, limit = 64 * 1024): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (d: Buffer) => {
    if (size < limit) chunks.push(d);
    size += d.length;
  });
  return () => Buffer.concat(chunks).toString('utf8').slice(0, limit);
}

function needStream(t: Transport): NonNullable<Transport['stream']> {
  if (!t.stream) throw new Error(`the transport of ${t.host} cannot stream, which seeding needs`);
  return t.stream.bind(t);
}

/** Pipe the primary's dump into the replica's client; resolves when both have exited cleanly. */
export async function streamDump(d: Dialect, primary: Transport, replica: Transport, timeoutMs: number, secrets: string[]): Promise<void> {
  const load: CommandStream = await needStream(replica)([d.client]);
  const dump: CommandStream = await needStream(primary)(dumpCommand(d));
  const dumpErr = collect(dump.stderr);
  const loadErr = collect(load.stderr);
  load.stdout.resume();
  load.stdin.write(SEED_PROLOGUE);
  dump.stdout.pipe(load.stdin, { end: false });
  dump.stdout.on('end', () => load.stdin.end(seedEpilogue(d)));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserError({ where: replica.host, message: `seeding from ${primary.host} did not finish within ${timeoutMs} ms` })), timeoutMs);
  });
  try {
    const [dumped, loaded] = await Promise.race([Promise.all([dump.done, load.done]), timeout]);
    if (dumped.code !== 0) {
      throw new UserError({ where: primary.host, message: `${d.dump} failed (exit ${dumped.code}): ${maskText(dumpErr().trim(), secrets)}` });
    }
    if (loaded.code !== 0) {
      throw new UserError({ where: replica.host, message: `loading the dump from ${primary.host} failed (exit ${loaded.code}): ${maskText(loadErr().trim(), secrets)}` });
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Wait until the replica has applied the primary's current position and both threads run. */
export async function waitCaughtUp(d: Dialect, primaryClient: SqlRunner, replicaClient: SqlRunner, database: string, timeoutMs: number): Promise<void> {
  const posVar = d.flavour === 'mariadb' ? '@@gtid_binlog_pos' : '@@gtid_executed';
  const pos = (parseVertical(await primaryClient.run(`SELECT ${posVar} AS position\\G\n`))[0]?.position ?? '').replace(/\s+/g, '');
  const seconds = Math.max(1, Math.round(timeoutMs / 1000));
  const out = await replicaClient.run(script([waitForPosition(d, pos, seconds)]).replace(/;\n$/, '\\G\n'), { timeoutMs: timeoutMs + 10_000 });
  const waited = parseVertical(out)[0]?.waited;
  // MASTER_GTID_WAIT: 0 reached, -1 timed out; WAIT_FOR_EXECUTED_GTID_SET: 0 reached, 1 timed out.
  const ok = waited === '0';
  const state = await readReplicaState(replicaClient, d, database);
  const s = state.status;
  if (!ok || !s?.ioRunning || !s.sqlRunning) {
    const problems = [
      !ok && `it did not reach the primary's position ${pos} within ${seconds} s`,
      s && !s.ioRunning && `IO thread ${s.ioState || 'stopped'}${s.lastIoError ? `: ${s.lastIoError}` : ''}`,
      s && !s.sqlRunning && `SQL thread stopped${s.lastSqlError ? `: ${s.lastSqlError}` : ''}`,
      !s && 'no replication is configured',
    ].filter(Boolean);
    throw new UserError({ where: replicaClient.host, message: `replication is not running: ${problems.join('; ')}` });
  }
}

export async function seedReplica(o: SeedOptions): Promise<void> {
  const d = o.dialect;
  const secrets = [o.password];
  const replicaClient = transportSqlRunner(o.replica, d.client, { secrets });
  const primaryClient = transportSqlRunner(o.primary, d.client, { secrets });
  o.log?.(`${o.replica.host}: stopping replication and clearing its binlog before the seed`);
  await replicaClient.run(script(preSeedStatements(d)));
  o.log?.(`${o.replica.host}: loading a consistent snapshot streamed from ${o.primary.host} (${dumpCommand(d)[0]} | ${d.client})`);
  await streamDump(d, o.primary, o.replica, o.dumpTimeoutMs ?? 30 * 60_000, secrets);
  o.log?.(`${o.replica.host}: pointing at ${o.primaryNode.address}:${o.primaryNode.port} and starting replication`);
  await replicaClient.run(script([pointAtPrimary(d, o.primaryNode, o.user, o.password), plain(d.start)]));
  await waitCaughtUp(d, primaryClient, replicaClient, o.database, o.catchUpTimeoutMs ?? 60_000);
}
