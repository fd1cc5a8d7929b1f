// The shared patch (src/plan/patch.ts) must be byte for byte what jsdiff makes of each host's texts on its own.
import { existsSync, readFileSync } from 'node:fs';
import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { PatchMemo } from '../../src/plan/patch.js';

const direct = (before: string, after: string, path = '/etc/x.conf'): string | undefined =>
  createTwoFilesPatch(`${path} (on host)`, `${path} (planned)`, before, after, undefined, undefined, { context: 3 });
const viaMemo = (memo: PatchMemo, before: string, after: string, path = '/etc/x.conf'): string => memo.patch(`${path} (on host)`, `${path} (planned)`, before, after);

/** A pool file as rendered for `host`: a few lines name it, the rest is the same for every host. */
function rendered(host: string, children: number): string {
  return [
    '; Managed by stackscale.',
    `; Profile 300, host ${host}. Why each number is what it is:`,
    `;   pm.max_children = ${children}: 300 users x 0.20 in flight at peak; fits on ${host}`,
    '[www]',
    'user = www-data',
    'group = www-data',
    'listen = /run/php/php8.2-fpm.sock',
    'pm = dynamic',
    `pm.max_children = ${children}`,
    'pm.start_servers = 2',
    ';pm.status_path = /status',
    '',
  ].join('\n');
}

const DEBIAN_POOL = existsSync('/etc/php/8.2/fpm/pool.d/www.conf') ? readFileSync('/etc/php/8.2/fpm/pool.d/www.conf', 'utf8') : '';

describe('PatchMemo', () => {
  it("this machine's Debian www.conf against ten hosts' rendered pools: jsdiff's patch each time, made once", () => {
    expect(DEBIAN_POOL).toContain('[www]');
    const memo = new PatchMemo();
    for (let i = 1; i <= 10; i++) {
      const after = rendered(`web${i}`, 6);
      expect(viaMemo(memo, DEBIAN_POOL, after)).toBe(direct(DEBIAN_POOL, after));
    }
    expect(memo.made).toBe(1);
    // Another number is another line absent from the old text: still the same patch shape, still shared.
    expect(viaMemo(memo, DEBIAN_POOL, rendered('web11', 7))).toBe(direct(DEBIAN_POOL, rendered('web11', 7)));
    expect(memo.made).toBe(1);
  });

  it('a new line that is in the old text is kept as it is (it changes the patch), and patches differ per path', () => {
    const memo = new PatchMemo();
    const before = 'a\nb\n; Profile 300, host web2. Why each number is what it is:\nc\n';
    for (const host of ['web1', 'web2', 'web3']) expect(viaMemo(memo, before, rendered(host, 6))).toBe(direct(before, rendered(host, 6)));
    expect(memo.made).toBe(2); // web2's header line is in the old text
    expect(viaMemo(memo, before, rendered('web1', 6), '/etc/y.conf')).toBe(direct(before, rendered('web1', 6), '/etc/y.conf'));
  });

  it('a new file, no newline at the end, CRLF lines, NUL bytes, nothing changed', () => {
    const memo = new PatchMemo();
    const cases: [string, string][] = [
      ['', rendered('web1', 6)],
      ['', rendered('web2', 6)],
      ['x\ny', 'x\nz'],
      ['x\ny\n', 'x\ny'],
      ['x\ny', 'q\ny\n'],
      ['a\r\nb\r\nc\r\n', 'a\r\nB1\r\nc\r\n'],
      ['a\r\nb\r\nc\r\n', 'a\r\nB2\r\nc\r\nd'],
      ['a\u00001\u0000\nb\n', 'a\n\u00000\u0000\nb\n'],
      ['same\n', 'same\n'],
    ];
    for (const [before, after] of cases) expect(viaMemo(memo, before, after)).toBe(direct(before, after));
  });

  it('random texts: the same patch as jsdiff, host after host', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const memo = new PatchMemo();
    for (let round = 0; round < 60; round++) {
      const pool = ['a', 'b', 'c', 'd', '', '# x'];
      const before = Array.from({ length: rand(30) }, () => pool[rand(pool.length)]).join('\n') + (rand(2) ? '\n' : '');
      const shape = Array.from({ length: rand(30) }, () => (rand(3) === 0 ? null : pool[rand(pool.length)]));
      for (const host of ['h1', 'h2', 'h3']) {
        const after = shape.map((l, i) => l ?? `own ${host} ${i}`).join('\n') + '\n';
        expect(viaMemo(memo, before, after)).toBe(direct(before, after));
      }
    }
  });
});
