// LocalTransport runs the same read/write scripts as the SSH transport, so these tests also cover those scripts.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { writeFileScript } from '../../src/transport/file-scripts.js';
import { LocalTransport } from '../../src/transport/local.js';
import { Semaphore } from '../../src/transport/semaphore.js';
import { shellQuote, toShell } from '../../src/transport/types.js';

describe('shellQuote', () => {
  const tricky = ['plain', '', 'a b', "it's", '$HOME', '`id`', '"q"', 'semi;colon', 'new\nline', 'star*', '-n', "''", 'ünï'];

  it('leaves safe words alone and single-quotes the rest', () => {
    expect(shellQuote('/etc/php/8.2/fpm/pool.d/www.conf')).toBe('/etc/php/8.2/fpm/pool.d/www.conf');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe("''");
  });

  it('round-trips every argument through sh unchanged', () => {
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${tricky.map(shellQuote).join(' ')}`]);
    expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(tricky);
    expect(toShell(['echo', 'a b'])).toBe("echo 'a b'");
    expect(toShell('echo $HOME')).toBe('echo $HOME');
  });
});

describe('writeFileScript', () => {
  it('is one command: mktemp beside the destination, stdin in, owner, mode, sync, rename', () => {
    expect(writeFileScript({ path: '/etc/redis/redis.conf', mode: 0o640, owner: 'redis', group: 'redis' })).toBe(
      `t=$(mktemp /etc/redis/.stackscale.XXXXXX) || exit 1 && trap 'rm -f "$t"' EXIT && cat > "$t" && chown redis:redis "$t" && ` +
        `chmod 0640 "$t" && { sync "$t" 2>/dev/null || sync; } && mv -f "$t" /etc/redis/redis.conf`,
    );
  });
});

describe('Semaphore', () => {
  it('never lets more than its size run at once, and serves waiters in order', async () => {
    const sem = new Semaphore(3);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const release = await sem.acquire();
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        release();
        release(); // a second release is a no-op
      }),
    );
    expect(peak).toBe(3);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('LocalTransport', () => {
  let dir: string;
  const t = new LocalTransport({ host: 'here' });
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stackscale-local-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs through sh with stdin and returns code, stdout and stderr', async () => {
    expect(await t.run('tr a-z A-Z; echo e >&2; exit 5', { stdin: 'abc' })).toEqual({ code: 5, stdout: 'ABC', stderr: 'e\n' });
    expect((await t.run(['printf', '%s', 'a b'])).stdout).toBe('a b');
    expect((await t.run('true', { stdin: Buffer.alloc(1 << 20) })).code).toBe(0);
  });

  it('times out with an error naming the host and the command, and stops the command with its children at once', async () => {
    const t0 = Date.now();
    await expect(t.run('sleep 10', { timeoutMs: 100 })).rejects.toThrow(/^here: command timed out after 100 ms: sleep 10$/);
    const marker = `sleep 9.${process.pid}`;
    await expect(t.run(`${marker}; echo never`, { timeoutMs: 100 })).rejects.toThrow(/timed out after 100 ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(spawnSync('pgrep', ['-f', marker]).stdout.toString()).toBe('');
  });

  it('streams, and stops a stream that outlives its timeout (killed, done rejects)', async () => {
    const s = await t.stream('tr a-z A-Z');
    let out = '';
    s.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    s.stdin.end('abc');
    expect(await s.done).toEqual({ code: 0 });
    expect(out).toBe('ABC');
    const slow = await t.stream('sleep 10', { timeoutMs: 100 });
    const t0 = Date.now();
    await expect(slow.done).rejects.toThrow(/^here: command timed out after 100 ms: sleep 10$/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('reads a file, null when missing, an error when unreadable', async () => {
    writeFileSync(join(dir, 'f'), 'data');
    expect((await t.readFile(join(dir, 'f')))?.toString()).toBe('data');
    expect(await t.readFile(join(dir, 'nope'))).toBeNull();
    await expect(t.readFile(dir)).rejects.toBeInstanceOf(UserError);
  });

  it('writes atomically with mode and owner, leaving no temp file, also when it fails', async () => {
    const me = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
    const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
    const path = join(dir, 'w.conf');
    await t.writeFile({ path, content: 'one\n', mode: 0o600, owner: me, group });
    await t.writeFile({ path, content: Buffer.from('two\n'), mode: 0o640, owner: me, group });
    expect(readFileSync(path, 'utf8')).toBe('two\n');
    expect(statSync(path).mode & 0o7777).toBe(0o640);
    await expect(t.writeFile({ path: join(dir, 'bad.conf'), content: 'x', mode: 0o644, owner: 'no-such-user-xyz', group })).rejects.toThrow(
      /^here: cannot write .*bad\.conf/,
    );
    expect(readdirSync(dir).sort()).toEqual(['f', 'w.conf']);
  });
});
