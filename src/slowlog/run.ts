// `slowlog` below the CLI: read each database host's slow log over its connection, digest, and EXPLAIN the worst
// SELECTs on a replica (else the primary). Read only: nothing is written on any host.
import type { HostSpec } from '../config/types.js';
import { EXIT, UserError } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { slowQueryLogFile } from '../render/mysql.js';
import type { Transport } from '../transport/types.js';
import { Digest } from './aggregate.js';
import { EXPLAIN_DEFAULTS, EXPLAIN_USER, NO_EXPLAIN_ACCOUNT_EXIT, explainClient, explainScript, findings, notExplainable, parseExplain, suggestIndex } from './explain.js';
import { INDEX_RULE, type ExplainResult, type SourceReport, type StatementReport } from './report.js';
import { readRemoteLog, remoteLogFiles } from './source.js';

export interface ReachedHost {
  host: HostSpec;
  transport: Transport;
  facts: HostFacts;
}

/** Read every host's slow log into the digest; per host, the files read and the entries found. */
export async function digestHosts(
  hosts: ReachedHost[],
  digest: Digest,
  opts: { since?: number; progress?: (host: string, step: string) => void },
): Promise<SourceReport[]> {
  const sources: SourceReport[] = [];
  for (const h of hosts) {
    if (!h.facts.db) {
      throw new UserError({ where: h.host.name, message: 'no MySQL or MariaDB server is installed', fix: 'give --host a database host, or run `stackscale apply` first' }, EXIT.error);
    }
    const path = slowQueryLogFile(h.facts.db.flavour);
    const files = await remoteLogFiles(h.transport, path, opts.since);
    let entries = 0;
    for (const f of files) {
      opts.progress?.(h.host.name, `reading ${f.path} (${f.bytes} bytes)`);
      entries += await readRemoteLog(h.transport, f, (e) => digest.add(e, h.host.name));
    }
    sources.push({ host: h.host.name, files: files.map((f) => ({ path: f.path, bytes: f.bytes })), entries });
  }
  return sources;
}

/** EXPLAIN one statement on `on`, in its database, as the read-only account, inside a read-only transaction. */
export async function explainStatement(on: ReachedHost, s: StatementReport, realSql: string): Promise<ExplainResult> {
  const result: ExplainResult = { host: on.host.name };
  const why = notExplainable(realSql);
  if (why) return { ...result, skipped: why };
  const db = s.example.database ?? s.databases[0];
  if (!db) return { ...result, skipped: 'no database is known for it (the log names none)' };
  result.database = db;
  const flavour = on.facts.db?.flavour ?? 'mariadb';
  // As the read-only account (its option file on the host), never as root: without the file, no EXPLAIN.
  const r = await on.transport.run(explainClient(flavour, db), { stdin: explainScript(realSql, flavour), timeoutMs: 30_000 });
  if (r.code === NO_EXPLAIN_ACCOUNT_EXIT) {
    return { ...result, skipped: `no read-only account on ${on.host.name} (${EXPLAIN_DEFAULTS} is missing): run \`stackscale apply\` to create ${EXPLAIN_USER}; EXPLAIN never runs as root` };
  }
  if (r.code !== 0) return { ...result, skipped: `EXPLAIN failed: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`}` };
  const rows = parseExplain(r.stdout);
  result.rows = rows;
  result.findings = findings(rows);
  const scanned = rows.find((row) => row.type === 'ALL' || (row.type === 'index' && !row.possibleKeys));
  const suggestion = scanned ? suggestIndex(realSql, scanned.table) : undefined;
  if (suggestion) result.suggestion = { ...suggestion, rule: INDEX_RULE };
  return result;
}

/** Where EXPLAIN runs: a reachable replica when the site has one, else the primary, else any database host read. */
export function explainHost(reached: ReachedHost[]): ReachedHost | undefined {
  return (
    reached.find((h) => h.host.roles.includes('db-replica') && h.facts.db?.running) ??
    reached.find((h) => h.host.roles.includes('db-primary') && h.facts.db?.running) ??
    reached.find((h) => h.facts.db?.running)
  );
}
