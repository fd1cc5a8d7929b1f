// php-fpm8.2 -t accepts the rendered pool inside a test main config, and refuses a pool that breaks its rules (exit 78),
// which shows the check is real. php-fpm -t opens its error_log and since 8.2.2 checks the pool's users exist: root.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { renderHost } from '../../src/render/render.js';
import type { HostSizing } from '../../src/sizing/types.js';
import { referenceSecrets, referenceSite, referenceSizing } from '../fixtures/sizing.js';
import { makeTempDir, removeDir, requireBinary, run } from './helpers.js';

const EX_CONFIG = 78;

function webHost(): HostSizing {
  const sizing = referenceSizing();
  return sizing.hosts.find((h) => h.fpm)!;
}

function poolOf(h: HostSizing): string {
  const sizing = referenceSizing();
  const file = renderHost(h, sizing, referenceSite(), referenceSecrets).find((f) => f.service === 'php-fpm');
  return file!.content;
}

describe('php-fpm8.2 -t on the rendered pool', () => {
  let dir: string;
  let fpm: string;
  beforeEach(() => {
    fpm = requireBinary('php-fpm8.2', 'php8.2-fpm');
    dir = makeTempDir('fpm');
  });
  afterEach(() => removeDir(dir));

  /** A main config like Debian's php-fpm.conf, with pid and log kept in the temp dir. */
  function check(pool: string, extraArgs: string[] = []) {
    mkdirSync(join(dir, 'pool.d'));
    writeFileSync(join(dir, 'pool.d', 'www.conf'), pool);
    const main = join(dir, 'php-fpm.conf');
    writeFileSync(main, `[global]\npid = ${dir}/php-fpm.pid\nerror_log = ${dir}/php-fpm.log\ninclude = ${dir}/pool.d/*.conf\n`);
    return run(fpm, [...extraArgs, '-y', main], { timeoutMs: 15_000 });
  }

  test('is accepted, and php-fpm resolves the numbers that were rendered', async () => {
    expect(process.getuid?.()).toBe(0);
    const res = await check(poolOf(webHost()), ['-tt']);
    expect(res.code, res.stderr).toBe(0);
    // -tt dumps the resolved configuration through the log; NOTICE lines carry "name = value".
    const dump = res.stderr;
    for (const [k, v] of [
      ['pm', 'dynamic'],
      ['pm.max_children', '200'],
      ['pm.start_servers', '50'],
      ['pm.min_spare_servers', '30'],
      ['pm.max_spare_servers', '100'],
      ['pm.max_requests', '1000'],
      ['listen.backlog', '511'],
      ['pm.status_path', '/fpm-status'],
      ['ping.path', '/fpm-ping'],
      ['request_terminate_timeout', '60s'],
      ['listen', '/run/php/php8.2-fpm.sock'],
    ]) {
      expect(dump).toMatch(new RegExp(`\\t${k.replace(/\./g, '\\.')} = ${v}\\n`));
    }
  });

  test('a pool with min_spare_servers above max_spare_servers is refused with exit 78', async () => {
    const h = webHost();
    h.fpm!.minSpareServers = { value: 120, why: 'broken by hand' };
    const pool = poolOf(h);
    expect(pool).toContain('pm.min_spare_servers = 120');
    const res = await check(pool, ['-t']);
    expect(res.code).toBe(EX_CONFIG);
    expect(res.stderr).toMatch(/min_spare_servers|max_spare_servers/);
  });

  test('a static pool renders no spare settings and is accepted', async () => {
    const h = webHost();
    h.fpm!.pm = { value: 'static', why: 'fixed pool' };
    const pool = poolOf(h);
    expect(pool).not.toMatch(/spare|start_servers/);
    const res = await check(pool, ['-t']);
    expect(res.code, res.stderr).toBe(0);
  });
});
