// Debian's prometheus-mysqld-exporter logs in with the .my.cnf stackscale renders, whatever printable characters its
// password holds: a real MariaDB (throw-away datadir, socket only) with the exporter's account, the real exporter on
// the rendered file (its socket pointed at that server), and mysql_up read from its /metrics. The exporter reads the
// file with go-ini, which cuts an unquoted value at the first `#` or `;`: the password is written in backquotes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadProfile } from '../../src/config/profile.js';
import { resolveSecrets } from '../../src/config/secrets.js';
import { secretValueProblems } from '../../src/config/secret-rules.js';
import { parseSite } from '../../src/config/site.js';
import { renderSite } from '../../src/render/render.js';
import { replicationSpec } from '../../src/replication/spec.js';
import { script } from '../../src/replication/sql.js';
import { accountsWanted } from '../../src/replication/statements.js';
import { sizeSite } from '../../src/sizing/model.js';
import { freePort } from '../transport/sshd.js';
import { Daemon, makeTempDir, removeDir, requireBinary, run, waitFor } from './helpers.js';

const SITE = `
profile: 1000
hosts:
  db1: {address: 10.0.0.2, roles: [db-primary], size: {memory: 16G, cores: 8}}
  mon1: {address: 10.0.0.3, roles: [monitor], size: {memory: 4G, cores: 2}}
app: {database: app, db_user: app}
secrets: {app_db_password: env:A, mysqld_exporter_password: env:E}
`;
/**
 * Every printable ASCII character but `?` (refused: see the last test), those go-ini or a MySQL DSN treat specially
 * first.
 */
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
const PASSWORD = `#;\`"' =:@/()${PRINTABLE.replace("?", "")}\``;

describe('prometheus-mysqld-exporter on the rendered .my.cnf', () => {
  let dir: string;
  let sock: string;
  let client: string;
  const daemons: Daemon[] = [];

  const query = async (sql: string, user = 'root'): Promise<string> => {
    const res = await run(client, ['--no-defaults', '-S', sock, `-u${user}`, '-N', '-B'], { input: sql, timeoutMs: 5_000 });
    if (res.code !== 0) throw new Error(res.stderr);
    return res.stdout.trim();
  };

  beforeAll(async () => {
    const mariadbd = requireBinary('mariadbd', 'mariadb-server');
    client = requireBinary('mariadb', 'mariadb-client');
    const installDb = requireBinary('mariadb-install-db', 'mariadb-server');
    dir = makeTempDir('mysqld-exporter');
    sock = join(dir, 'mysqld.sock');
    const res = await run(installDb, ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--user=root', '--auth-root-authentication-method=socket', '--skip-test-db'], { timeoutMs: 30_000 });
    if (res.code !== 0) throw new Error(`mariadb-install-db failed:\n${res.stdout}\n${res.stderr}`);
    const d = new Daemon(mariadbd, ['--no-defaults', `--datadir=${join(dir, 'data')}`, `--socket=${sock}`, `--pid-file=${join(dir, 'pid')}`, '--skip-networking', '--user=root']);
    daemons.push(d);
    await waitFor('mariadbd to answer', async () => {
      if (!d.running) throw new Error(`mariadbd exited:\n${d.output}`);
      return (await query('SELECT 1')) === '1' ? true : undefined;
    }, 30_000, 200);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop(15_000)));
    removeDir(dir);
  });

  /** The exporter on `cnfText` (its socket pointed at the test server): its /metrics, or what it said when it exited. */
  async function scrape(cnfText: string, name: string): Promise<{ metrics?: string; output: string }> {
    const exporter = requireBinary('prometheus-mysqld-exporter', 'prometheus-mysqld-exporter');
    const path = join(dir, `${name}.cnf`);
    writeFileSync(path, cnfText.replace(/^socket=.*$/m, `socket=${sock}`), { mode: 0o600 });
    const port = await freePort();
    const d = new Daemon(exporter, [`--config.my-cnf=${path}`, `--web.listen-address=127.0.0.1:${port}`]);
    daemons.push(d);
    try {
      const metrics = await waitFor('the exporter to serve /metrics or exit', async () => {
        if (!d.running) return '';
        const r = await fetch(`http://127.0.0.1:${port}/metrics`);
        return r.ok ? r.text() : undefined;
      }, 20_000, 200);
      return { metrics: metrics || undefined, output: d.output };
    } finally {
      await d.stop();
    }
  }

  let cnf: string;
  test('the rendered file holds the password in backquotes, and the exporter logs in with it: mysql_up 1', async () => {
    const site = parseSite(SITE, 'stackscale.yaml');
    const sizing = sizeSite(site, loadProfile('1000', { baseDir: process.cwd() }));
    const files = renderSite(sizing, site, resolveSecrets(site, { A: 'app-pw', E: PASSWORD }));
    cnf = files.find((f) => f.host === 'db1' && f.path === '/etc/prometheus/mysqld-exporter.cnf')!.content;
    expect(cnf).toContain(`\npassword=\`${PASSWORD}\`\n`);
    // The account as apply creates it on the primary: the very statements, on the client's stdin.
    const exporter = accountsWanted(replicationSpec(sizing, site)!, { replication: 'r', app: 'app-pw', exporter: PASSWORD }).filter((a) => a.purpose === 'exporter');
    expect(exporter.map((a) => `${a.user}@${a.host}`)).toEqual([`${/^user=(.*)$/m.exec(cnf)![1]}@localhost`]);
    await query(script(exporter.flatMap((a) => a.statements)));
    const { metrics, output } = await scrape(cnf, 'rendered');
    expect(metrics, output).toMatch(/^mysql_up 1$/m);
  }, 60_000);

  test('the same password unquoted is cut at its first #: the exporter reads none and exits (why the quotes)', async () => {
    const { metrics, output } = await scrape(cnf.replace(/^password=`(.*)`$/m, (_, pw: string) => `password=${pw}`), 'unquoted');
    expect(metrics).toBeUndefined();
    expect(output).toMatch(/password or ssl-key should be specified under \[client\]/);
  }, 60_000);

  test("a '?' in the password becomes part of the exporter's DSN parameters and its login fails, so validate refuses one", async () => {
    const withQuestion = 'pw?x';
    await query(`ALTER USER 'stackscale_exporter'@'localhost' IDENTIFIED BY '${withQuestion}'`);
    const { metrics, output } = await scrape(cnf.replace(/^password=`(.*)`$/m, `password=\`${withQuestion}\``), 'question');
    expect(metrics, output).toMatch(/^mysql_up 0$/m);
    expect(output).toMatch(/Access denied for user 'stackscale_exporter'@'localhost' to database '&/);
    const problems = secretValueProblems(parseSite(SITE, 'stackscale.yaml'), { mysqld_exporter_password: withQuestion }, 'env');
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([`secrets.mysqld_exporter_password: the secret breaks a rule: no '?': the mysqld exporter builds a DSN from it and takes a '?' for the start of its parameters`]);
    expect(JSON.stringify(problems)).not.toContain(withQuestion);
  }, 60_000);
});
