// CLI-level: exit codes, the --json documents against their documented schemas (docs/schemas), no colour without a
// terminal, and input problems (a missing secret variable) reported with exit 3 before any connection is opened.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, cli } from './cli-helpers.js';
import { check } from './cli-schema.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stackscale-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 127.0.0.1:1: nothing listens there, so a command that did connect would fail with exit 4, not 3.
const SITE = `profile: 700
hosts:
  vps1:
    address: 127.0.0.1
    port: 1
    roles: [web, cache, proxysql, db-primary]
    size: {memory: 16G, cores: 8}
app: {database: restro, db_user: restro}
secrets:
  redis_password: env:STACKSCALE_TEST_REDIS
  app_db_password: env:STACKSCALE_TEST_APP_DB
  proxysql_admin_password: env:STACKSCALE_TEST_PA
  proxysql_monitor_password: env:STACKSCALE_TEST_PM
`;

function site(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('the schema checker is not vacuous', () => {
  it('finds drift in a document', () => {
    expect(check({ ok: true, profile: 1000, site: null, hosts: [], notes: [], errors: [], extra: 1 }, 'validate.schema.json')).toEqual([
      '$.profile: a integer, not string',
      '$: "extra" is not in the documented schema',
    ]);
    expect(check({ ok: false, exitCode: 3, errors: [] }, 'error.schema.json')).toEqual(['$.errors: fewer than 1 items']);
  });
});

describe('validate --json', () => {
  it('a valid site: exit 0, one document on stdout that follows validate.schema.json', async () => {
    const r = await cli(['validate', '--json', '--site', site('ok.yaml', SITE)], {
      cwd: dir,
      env: { STACKSCALE_TEST_REDIS: 'r', STACKSCALE_TEST_APP_DB: 'a', STACKSCALE_TEST_PA: 'p', STACKSCALE_TEST_PM: 'm' },
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(check(doc, 'validate.schema.json')).toEqual([]);
    expect(doc).toMatchObject({ ok: true, profile: '700', hosts: ['vps1'] });
  });

  it('an invalid site: exit 3, every problem in the error document (error.schema.json), with file:line:col', async () => {
    const bad = SITE.replace('roles: [web, cache, proxysql, db-primary]', 'roles: [web, cahce]').replace('database: restro', 'database: "re stro"');
    const r = await cli(['validate', '--json', '--site', site('bad.yaml', bad)], { cwd: dir });
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(check(doc, 'error.schema.json')).toEqual([]);
    expect(doc.errors.length).toBeGreaterThanOrEqual(2);
    expect(doc.errors.map((e: { where?: string }) => e.where).join(' ')).toMatch(/bad\.yaml:\d+:\d+/);
    expect(r.stderr).toMatch(/^error: .*bad\.yaml:\d+:\d+/m);
  });
});

describe('a missing secret variable', () => {
  it.each([['plan'], ['apply', '--yes'], ['plan', '--json']])('%s: exit 3 naming the variable, before any connection', async (...args) => {
    const env = { STACKSCALE_TEST_REDIS: 'r', STACKSCALE_TEST_PA: 'a', STACKSCALE_TEST_PM: 'm' };
    const r = await cli([...args, '--site', site('secrets.yaml', SITE)], { cwd: dir, env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('STACKSCALE_TEST_APP_DB');
    expect(r.stderr).not.toMatch(/connect|127\.0\.0\.1:1/);
    if (args.includes('--json')) expect(check(JSON.parse(r.stdout), 'error.schema.json')).toEqual([]);
  });
});

describe('no colour without a terminal', () => {
  const run = (args: string[], isTTY: boolean, env: Record<string, string> = {}) => cli(args, { cwd: dir, isTTY, env });

  it('positive control: on a terminal, profiles are printed in bold', async () => {
    expect((await run(['profiles'], true)).stdout).toMatch(ANSI);
  });

  it.each([
    ['not a TTY', false, {}],
    ['CI=true on a TTY', true, { CI: 'true' }],
    ['NO_COLOR on a TTY', true, { NO_COLOR: '1' }],
  ] as const)('%s: no ANSI codes in any output', async (_what, tty, env) => {
    const outputs = await Promise.all([
      run(['profiles'], tty, env),
      run(['validate', '--no-secrets', '--site', site('ok2.yaml', SITE)], tty, env),
      run(['validate', '--site', join(dir, 'missing.yaml')], tty, env),
      run(['plan', '--site', site('secrets2.yaml', SITE)], tty, env),
    ]);
    for (const o of outputs) expect(o.stdout + o.stderr).not.toMatch(ANSI);
  });
});

describe('exit codes', () => {
  it.each([
    [['--version'], 0],
    [['--help'], 0],
    [['no-such-command'], 3],
    [['plan', '--no-such-flag'], 3],
    [['validate', '--site', '/nonexistent/stackscale.yaml'], 3],
    [['init'], 3],
    [['init', '--non-interactive'], 3],
  ])('%j -> %d', async (args, code) => {
    expect((await cli(args, { cwd: dir })).code).toBe(code);
  });

  it('init writes nothing when it refuses', async () => {
    const sub = mkdtempSync(join(dir, 'refuse-'));
    await cli(['init'], { cwd: sub });
    await cli(['init', '--non-interactive', '--profile', '700'], { cwd: sub });
    expect(() => readFileSync(join(sub, 'stackscale.yaml'))).toThrow();
  });
});
