// Golden files of every rendered file for the three shipped profiles on a reference site, through the real sizing
// model, so any change in output shows in review. Refresh after an intended change: UPDATE_GOLDEN=1 npx vitest run
// test/unit/render-profiles-golden.test.ts, then read the diff.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseSite } from '../../src/config/site.js';
import { loadProfile } from '../../src/config/profile.js';
import { renderSite } from '../../src/render/render.js';
import { sizeSite } from '../../src/sizing/model.js';
import { checkSizing } from '../../src/validate/rules.js';
import { expectGolden, listFiles } from '../helpers/golden.js';

const GOLDEN = path.join(import.meta.dirname, '..', 'golden', 'render');

// The guide's four-host layout: web, ProxySQL + cache, primary, replica.
const REFERENCE_SITE = `
hosts:
  web1:
    address: 10.0.0.11
    roles: [web]
    size: {memory: 16G, cores: 8}
  proxy1:
    address: 10.0.0.12
    roles: [proxysql, cache]
    size: {memory: 8G, cores: 4}
  db1:
    address: 10.0.0.21
    roles: [db-primary]
    size: {memory: 16G, cores: 8}
  db2:
    address: 10.0.0.22
    roles: [db-replica]
    size: {memory: 16G, cores: 8}
app:
  database: restro
  db_user: restro
`;

describe.each(['300', '700', '1000'])('profile %s on the reference site', (name) => {
  test('every rendered file matches its golden file', () => {
    const site = parseSite(`profile: ${name}\n${REFERENCE_SITE}`, 'reference.yaml');
    const sizing = sizeSite(site, loadProfile(name, { baseDir: process.cwd() }));
    expect(checkSizing(sizing)).toEqual([]);
    const files = renderSite(sizing, site, {});
    expectGolden(path.join(GOLDEN, name), files);
  });
});

// The shipped CLI is the esbuild bundle in dist/ (scripts/bundle.mjs), which leaves out Handlebars' source-map
// dependency: the bundle must write the very bytes the source does.
test('the bundled CLI (bin/stackscale.js) renders the 1000 profile byte for byte as the golden files', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const dir = mkdtempSync(path.join(tmpdir(), 'stackscale-bundle-'));
  try {
    writeFileSync(path.join(dir, 'site.yaml'), `profile: 1000\n${REFERENCE_SITE}`);
    const r = spawnSync(process.execPath, [path.join(root, 'bin/stackscale.js'), 'render', '--site', 'site.yaml', '--out', 'out'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const golden = path.join(GOLDEN, '1000');
    const expected = listFiles(golden).map((p) => path.relative(golden, p)).sort();
    // Besides the rendered files, render keeps the list of what it wrote (src/render/out-dir.ts).
    const written = listFiles(path.join(dir, 'out')).map((p) => path.relative(path.join(dir, 'out'), p));
    expect(written.filter((f) => f !== '.stackscale-render.json').sort()).toEqual(expected);
    expect(written).toContain('.stackscale-render.json');
    for (const f of expected) expect(readFileSync(path.join(dir, 'out', f), 'utf8'), f).toBe(readFileSync(path.join(golden, f), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
