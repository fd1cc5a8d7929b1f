// GTID positions, compared without a server: MariaDB's `domain-server-seq` lists and MySQL's `uuid:1-5:7` sets.

/** MariaDB: domain -> { server, seq } ("0-1-5,1-2-9"). */
export type MariadbPos = Map<number, { server: number; seq: number }>;

export function parseMariadbPos(text: string): MariadbPos {
  const pos: MariadbPos = new Map();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(part);
    if (!m) throw new Error(`not a MariaDB GTID: ${part}`);
    const [domain, server, seq] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const had = pos.get(domain);
    if (!had || had.seq < seq) pos.set(domain, { server, seq });
  }
  return pos;
}

/**
 * Can a replica at `replica` follow a primary whose binlogs hold everything after `purged` (the GTID state at the start
 * of its oldest binlog, BINLOG_GTID_POS(first file, 4)) up to `binlogState`?
 * Per domain: the replica must not be ahead of the primary, and the primary must still have the events after the
 * replica's position. A domain the replica has never seen needs the primary's whole history of it.
 */
export function mariadbCanFollow(replica: string, purged: string, binlogState: string): { ok: boolean; why: string } {
  const r = parseMariadbPos(replica);
  const p = parseMariadbPos(purged);
  const s = parseMariadbPos(binlogState);
  for (const [domain, { seq }] of r) {
    const have = s.get(domain)?.seq ?? 0;
    if (seq > have) return { ok: false, why: `it is ahead of the primary in GTID domain ${domain} (${seq} > ${have})` };
    const gone = p.get(domain)?.seq ?? 0;
    if (seq < gone) return { ok: false, why: `the primary has purged the binlogs it needs in domain ${domain} (it is at ${seq}, the oldest binlog starts after ${gone})` };
  }
  for (const [domain, { seq }] of p) {
    if (!r.has(domain) && seq > 0) return { ok: false, why: `the primary has purged the start of GTID domain ${domain}, which it has never seen` };
  }
  return { ok: true, why: 'the primary still has every event after its position' };
}

/** MySQL: uuid -> sorted closed intervals. */
export type MysqlGtidSet = Map<string, [number, number][]>;

export function parseMysqlGtidSet(text: string): MysqlGtidSet {
  const set: MysqlGtidSet = new Map();
  for (const part of text.replace(/\s+/g, '').split(',').filter(Boolean)) {
    const [uuid, ...ranges] = part.split(':');
    const list = set.get(uuid.toLowerCase()) ?? [];
    for (const r of ranges) {
      const [a, b] = r.split('-').map(Number);
      list.push([a, b ?? a]);
    }
    list.sort((x, y) => x[0] - y[0]);
    set.set(uuid.toLowerCase(), list);
  }
  return set;
}

/** Is every GTID of `a` in `b`? */
export function mysqlGtidSubset(a: string, b: string): boolean {
  const sb = parseMysqlGtidSet(b);
  for (const [uuid, ranges] of parseMysqlGtidSet(a)) {
    const have = sb.get(uuid) ?? [];
    for (const [lo, hi] of ranges) {
      if (!have.some(([x, y]) => x <= lo && hi <= y)) return false;
    }
  }
  return true;
}

/**
 * MySQL: the replica can auto-position from the source when the source's gtid_purged is inside the replica's
 * gtid_executed (else error 1236) and the replica has nothing the source lacks.
 */
export function mysqlCanFollow(replicaExecuted: string, sourcePurged: string, sourceExecuted: string): { ok: boolean; why: string } {
  if (!mysqlGtidSubset(sourcePurged, replicaExecuted)) return { ok: false, why: 'the source has purged transactions it has not executed' };
  if (!mysqlGtidSubset(replicaExecuted, sourceExecuted)) return { ok: false, why: 'it has transactions the source does not have' };
  return { ok: true, why: 'the source still has every transaction it lacks' };
}
