// The read-only EXPLAIN account: the host script that makes its password and option file, run here with a stand-in
// client that records its argv and stdin, and the client EXPLAIN runs through.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { HostFacts } from '../../src/facts/types.js';
import { explainAccountStep } from '../../src/plan/assemble.js';
import type { RemoteState } from '../../src/plan/remote.js';
import { EXPLAIN_ACCOUNT_SHOWN, EXPLAIN_DEFAULTS, EXPLAIN_USER, NO_EXPLAIN_ACCOUNT_EXIT, ensureExplainAccount, explainAccountProbe, explainClient } from '../../src/slowlog/explain.js';

/** A fake `mariadb` that appends its argv and its stdin to files in `dir`. */
function fakeClient(dir: string): string {
  const bin = join(dir, 'fake-mariadb');
  writeFileSync(bin, `#!/bin/sh\necho "$@" >>"${dir}/argv"\ncat >>"${dir}/stdin"\n`);
  chmodSync(bin, 0o755);
  return bin;
}

function runEnsure(dir: string, cnf: string): string {
  const argv = ensureExplainAccount('mariadb');
  expect(argv.slice(4)).toEqual([EXPLAIN_DEFAULTS, EXPLAIN_USER, 'mariadb']);
  return execFileSync(argv[0], [...argv.slice(1, 4), cnf, EXPLAIN_USER, fakeClient(dir)], { encoding: 'utf8' });
}

describe('ensureExplainAccount', () => {
  test('makes a 0600 option file with a host-made password, sent on stdin only, SELECT and SHOW VIEW only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'explain-acct-'));
    const cnf = join(dir, 'lib', 'explain.cnf');
    expect(runEnsure(dir, cnf).trim()).toBe('created');
    const text = readFileSync(cnf, 'utf8');
    const pw = /^password=([A-Za-z0-9]{32})$/m.exec(text)?.[1];
    expect(pw).toBeDefined();
    expect(text).toMatch(/^\[client\]\nuser=stackscale_explain\n/);
    expect(statSync(cnf).mode & 0o777).toBe(0o600);
    const argv = readFileSync(join(dir, 'argv'), 'utf8');
    expect(argv).not.toContain(pw as string);
    const sql = readFileSync(join(dir, 'stdin'), 'utf8');
    expect(sql).toBe([
      'SET SESSION sql_log_bin = 0;',
      `CREATE USER IF NOT EXISTS 'stackscale_explain'@'localhost' IDENTIFIED BY '${pw}';`,
      `ALTER USER 'stackscale_explain'@'localhost' IDENTIFIED BY '${pw}';`,
      "REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'stackscale_explain'@'localhost';",
      "GRANT SELECT, SHOW VIEW ON *.* TO 'stackscale_explain'@'localhost';",
      '',
    ].join('\n'));
    // A second run keeps the password and re-asserts the same grants.
    expect(runEnsure(dir, cnf).trim()).toBe('kept');
    expect(readFileSync(cnf, 'utf8')).toBe(text);
    expect(readFileSync(join(dir, 'stdin'), 'utf8')).toBe(sql + sql);
  });

  test('the password is not in the argv the host sees', () => {
    expect(ensureExplainAccount('mysql').join(' ')).not.toMatch(/password=[A-Za-z0-9]/);
    expect(ensureExplainAccount('mysql').at(-1)).toBe('mysql');
  });
});

describe('explainClient', () => {
  test('the option file first, in the database; a missing file stops before any client runs', () => {
    const argv = explainClient('mariadb', 'shop');
    expect(argv.slice(4)).toEqual([EXPLAIN_DEFAULTS, 'mariadb', 'shop']);
    const dir = mkdtempSync(join(tmpdir(), 'explain-client-'));
    const missing = spawnSync(argv[0], [...argv.slice(1, 4), join(dir, 'none.cnf'), fakeClient(dir), 'shop'], { encoding: 'utf8', input: 'EXPLAIN SELECT 1;\n' });
    expect(missing.status).toBe(NO_EXPLAIN_ACCOUNT_EXIT);
    const cnf = join(dir, 'explain.cnf');
    writeFileSync(cnf, '[client]\n');
    const ok = spawnSync(argv[0], [...argv.slice(1, 4), cnf, fakeClient(dir), 'shop'], { encoding: 'utf8', input: 'EXPLAIN SELECT 1;\n' });
    expect(ok.status).toBe(0);
    expect(readFileSync(join(dir, 'argv'), 'utf8')).toBe(`--defaults-extra-file=${cnf} --batch --database=shop\n`);
    expect(explainClient('mysql', 'x')[5]).toBe('mysql');
    expect(existsSync(join(dir, 'stdin'))).toBe(true);
  });
});

describe('the plan step', () => {
  const facts = (running: boolean) => ({ db: { flavour: 'mariadb', running } }) as unknown as HostFacts;
  const remote = (ok?: boolean): RemoteState => ({ proxysql: new Map(), explainAccount: ok === undefined ? new Map() : new Map([['db1', ok]]) });

  test('planned on a database host whose account is not in place, or whose server does not run yet; shown masked', () => {
    const step = explainAccountStep('db1', ['db-replica'], facts(true), remote(false));
    expect(step?.target).toBe('mysql-explain-account');
    expect(step?.statements).toEqual(EXPLAIN_ACCOUNT_SHOWN);
    expect(step?.statements.join('\n')).toContain("GRANT SELECT, SHOW VIEW ON *.* TO 'stackscale_explain'@'localhost'");
    expect(step?.statements.join('\n')).not.toMatch(/IDENTIFIED BY '(?!\*{8}')/);
    expect(explainAccountStep('db1', ['db-primary'], facts(false), remote())).toBeDefined();
  });

  test('not planned when in place, not read, or not a database host', () => {
    expect(explainAccountStep('db1', ['db-primary'], facts(true), remote(true))).toBeUndefined();
    expect(explainAccountStep('db1', ['db-primary'], facts(true), remote())).toBeUndefined();
    expect(explainAccountStep('db1', ['web'], facts(true), remote(false))).toBeUndefined();
  });

  test('the probe reads the option file and the grants, read only', () => {
    const argv = explainAccountProbe('mariadb');
    expect(argv.slice(4)).toEqual([EXPLAIN_DEFAULTS, 'mariadb']);
    expect(argv[2]).toContain('-e "SHOW GRANTS"');
    expect(argv[2]).not.toMatch(/CREATE|ALTER|GRANT SELECT, SHOW VIEW ON \*\.\* TO '/);
  });
});
