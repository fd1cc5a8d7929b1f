// Small readers of the three config syntaxes stackscale manages, used to tell which settings a change touches and so
// whether the service can take it at runtime or must be restarted. They read; they never rewrite a file.

/** redis.conf: `key value...` lines; repeated keys (save) are joined. Keys lowercased as Redis does. */
export function parseRedisConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    const value = m[2].trim();
    out.set(key, out.has(key) ? `${out.get(key)} | ${value}` : value);
  }
  return out;
}

/** my.cnf-style ini: options of the given sections, names with `-` folded to `_` as mysqld does. */
export function parseIniOptions(text: string, sections: string[] = ['mysqld', 'mariadb', 'server']): Map<string, string> {
  const out = new Map<string, string>();
  let inSection = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      inSection = sections.includes(sec[1].trim().toLowerCase());
      continue;
    }
    if (!inSection) continue;
    const eq = line.indexOf('=');
    const name = (eq === -1 ? line : line.slice(0, eq)).trim().replace(/-/g, '_').toLowerCase();
    const value = eq === -1 ? 'ON' : line.slice(eq + 1).trim();
    out.set(name, value);
  }
  return out;
}

/** php-fpm pool file: `key = value` lines of the pools in it (keys prefixed with the pool name). */
export function parseFpmPool(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let pool = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      pool = sec[1];
      continue;
    }
    const eq = line.indexOf('=');
    if (eq === -1) continue;
    out.set(`${pool}.${line.slice(0, eq).trim()}`, line.slice(eq + 1).trim());
  }
  return out;
}

/** Names whose value differs between two parsed configs (added, removed or changed). */
export function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}
