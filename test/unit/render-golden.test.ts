// Golden files of everything render writes for the reference site (test/fixtures/sizing.ts), in each database flavour,
// so a change in output shows in review as a diff of plain config files. Secrets stand as placeholders.
// Update after an intended change with: npx vitest run test/unit/render-golden -u
import { describe, expect, test } from 'vitest';
import { proxysqlAdminSql } from '../../src/render/proxysql-admin.js';
import { renderSite } from '../../src/render/render.js';
import { referenceSite, referenceSizing } from '../fixtures/sizing.js';

const VARIANTS = [
  ['mariadb-10.11', 'mariadb', '10.11'],
  ['mysql-8.0', 'mysql', '8.0'],
  ['mysql-8.4', 'mysql', '8.4'],
] as const;

describe.each(VARIANTS)('golden render of the reference site, %s', (name, flavour, version) => {
  const sizing = referenceSizing(flavour, version);
  const files = renderSite(sizing, referenceSite(), {});

  test.each(files.map((f) => [`${f.host}${f.path}`, f] as const))('%s', async (where, f) => {
    await expect(f.content).toMatchFileSnapshot(`./__snapshots__/render-golden/${name}/${where}`);
  });

  test('proxysql admin SQL', async () => {
    const p = sizing.hosts.find((h) => h.proxysql)!.proxysql!;
    await expect(`${proxysqlAdminSql(p, {}).join('\n')}\n`).toMatchFileSnapshot(`./__snapshots__/render-golden/${name}/proxy1-admin.sql`);
  });
});
