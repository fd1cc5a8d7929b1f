// The facts' package list (one awk pass over dpkg's status file, src/facts/packages.ts) on a real host, against that
// host's own dpkg-query, after real dpkg runs left a package removed with its config files and one only unpacked.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_GLOBS, PACKAGES_QUERY, packageHelpers } from '../../src/facts/gather.js';
import { parsePackages } from '../../src/facts/packages.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';

/** A package holding one conffile under /etc (the host's own copy-on-write /etc; nothing under the shared /usr). */
function buildDeb(dir: string, name: string): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'etc', name), { recursive: true });
  writeFileSync(join(root, 'etc', name, 'probe.conf'), 'probe = 1\n');
  writeFileSync(
    join(root, 'DEBIAN', 'control'),
    [`Package: ${name}`, 'Version: 1.2-3', 'Architecture: all', 'Maintainer: stackscale tests <tests@example.org>', 'Description: facts test package', ''].join('\n'),
  );
  writeFileSync(join(root, 'DEBIAN', 'conffiles'), `/etc/${name}/probe.conf\n`);
  const deb = join(dir, `${name}.deb`);
  const r = spawnSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dpkg-deb: ${r.stderr}`);
  return deb;
}

describe('the package list on a test host, after real dpkg runs', () => {
  let host: TestHost;
  let dir: string;

  beforeAll(async () => {
    [host] = await startHosts([{ name: 'pkgs', services: [] }]);
    dir = mkdtempSync(join(tmpdir(), 'stackscale-debs-'));
    // Names the facts ask about (prometheus*, nginx-*), so both show in the list.
    const steps: [string, string][] = [
      [buildDeb(dir, 'prometheus-stackscale-probe'), 'dpkg -i /tmp/probe.deb && dpkg -r prometheus-stackscale-probe'],
      [buildDeb(dir, 'nginx-stackscale-probe'), 'dpkg --unpack /tmp/probe.deb'],
    ];
    for (const [deb, run] of steps) {
      const r = await ssh(host, `base64 -d > /tmp/probe.deb && ${run}`, { input: readFileSync(deb).toString('base64'), timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    await stopHosts([host]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints what the host’s dpkg-query prints, the removed and the unpacked package included', async () => {
    const ours = await ssh(host, 'sh -s', { input: [packageHelpers(), PACKAGES_QUERY, `printf '%s\\n' "$pkgs"`].join('\n') });
    const format = "'${db:Status-Abbrev} ${Package} ${Version}\\n'";
    const theirs = await ssh(host, `dpkg-query -W -f ${format} ${PACKAGE_GLOBS.map((g) => `'${g}'`).join(' ')} 2>/dev/null; true`);
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.stdout).toMatch(/^rc {2}prometheus-stackscale-probe 1\.2-3$/m);
    expect(ours.stdout).toMatch(/^iU {2}nginx-stackscale-probe 1\.2-3$/m);
    expect(ours.stdout).toMatch(/^ii {2}php8\.2-fpm 8\.2\./m);
    // dpkg-query also prints names no package installs (`un`): the awk leaves every not-installed package out.
    const installedOrLeft = theirs.stdout
      .split('\n')
      .filter((l) => l && !/^.n/.test(l))
      .map((l) => `${l}\n`)
      .join('');
    expect(ours.stdout).toBe(installedOrLeft);
    expect(parsePackages(ours.stdout.split('\n'))).toEqual(parsePackages(theirs.stdout.split('\n')));
    expect(parsePackages(ours.stdout.split('\n'))).not.toHaveProperty('prometheus-stackscale-probe');
  });
});
