import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../../src/transport/double.js';

describe('FakeTransport', () => {
  it('keeps files in memory, replies to scripted commands, and logs everything', async () => {
    const fake = new FakeTransport('web1', { files: { '/etc/a.conf': 'a\n', '/etc/b.conf': { content: 'b', mode: 0o600, owner: 'redis' } } });
    fake.on('nproc', { stdout: '4\n' }).on(/^cat /, (cmd, opts) => ({ stdout: `${cmd}:${opts.stdin ?? ''}` }));

    expect(await fake.run('nproc')).toEqual({ code: 0, stdout: '4\n', stderr: '' });
    expect((await fake.run(['cat', 'x y'], { stdin: 'in' })).stdout).toBe("cat 'x y':in");
    expect((await fake.run('unknown')).code).toBe(127);
    expect((await fake.readFile('/etc/a.conf'))?.toString()).toBe('a\n');
    expect(await fake.readFile('/etc/none')).toBeNull();
    expect(fake.files.get('/etc/b.conf')).toMatchObject({ mode: 0o600, owner: 'redis', group: 'root' });

    await fake.writeFile({ path: '/etc/c.conf', content: 'secret', mode: 0o640, owner: 'root', group: 'redis' });
    expect(fake.text('/etc/c.conf')).toBe('secret');
    expect(fake.commands()).toEqual(['nproc', "cat 'x y'", 'unknown']);
    expect(fake.log.map((c) => [c.kind, c.command, c.stdin])).toEqual([
      ['run', 'nproc', undefined],
      ['run', "cat 'x y'", 'in'],
      ['run', 'unknown', undefined],
      ['read', '/etc/a.conf', undefined],
      ['read', '/etc/none', undefined],
      ['write', '/etc/c.conf', 'secret'],
    ]);
  });

  it('can fail writes on demand and refuses use after close', async () => {
    const fake = new FakeTransport();
    fake.failWrite = (f) => (f.path.endsWith('.bad') ? new Error('disk full') : undefined);
    await expect(fake.writeFile({ path: '/x.bad', content: '', mode: 0o644, owner: 'root', group: 'root' })).rejects.toThrow('disk full');
    expect(fake.files.has('/x.bad')).toBe(false);
    await fake.close();
    await expect(fake.run('true')).rejects.toThrow(/after close/);
  });
});
