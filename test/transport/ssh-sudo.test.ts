// Non-root logins: two throw-away local users, one with NOPASSWD sudo and one whose sudo needs its password,
// logging in to a real sshd. Needs root (useradd, /etc/sudoers.d); skipped elsewhere.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { connectSsh, type SshOptions } from '../../src/transport/ssh.js';
import { goneWithin, sshdAvailable, startSshd, type Sshd } from './sshd.js';


// Needs root, sshd, useradd and sudo (.ci/run installs them): without them the tests fail, never skip.
describe('SshTransport as a non-root user with sudo', () => {
  it('this machine can run these tests (root, sshd, useradd, sudo)', () => {
    expect(sshdAvailable).toBe(true);
    for (const f of ['/usr/sbin/useradd', '/usr/bin/sudo', '/etc/sudoers.d']) expect(existsSync(f), f).toBe(true);
  });

  const tag = `${process.pid % 100000}`;
  const nopass = `sstnp${tag}`;
  const withpass = `sstpw${tag}`;
  const password = `pw-${tag}-Xy9!`;
  const sudoers = `/etc/sudoers.d/stackscale-test-${tag}`;
  let sshd: Sshd;
  let home: string;
  let work: string;

  beforeAll(async () => {
    for (const u of [nopass, withpass]) execFileSync('useradd', ['-m', '-s', '/bin/sh', u]);
    // A locked account (`!` in shadow) cannot log in over ssh without PAM; a password unlocks it and serves sudo -S.
    execFileSync('chpasswd', { input: `${nopass}:${password}\n${withpass}:${password}\n` });
    writeFileSync(sudoers, `${nopass} ALL=(ALL) NOPASSWD: ALL\n${withpass} ALL=(ALL) ALL\n`, { mode: 0o440 });
    execFileSync('visudo', ['-cf', sudoers]);
    sshd = await startSshd();
    home = mkdtempSync(join(tmpdir(), 'stackscale-sudo-home-'));
    work = mkdtempSync(join(tmpdir(), 'stackscale-sudo-work-'));
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(sudoers, { force: true });
    for (const u of [nopass, withpass]) {
      try {
        execFileSync('userdel', ['-r', '-f', u], { stdio: 'ignore' });
      } catch {
        // Already gone, or a leftover process: nothing the test can do better.
      }
    }
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const opts = (user: string, env: Record<string, string> = {}): SshOptions => ({
    name: 'web2',
    address: '127.0.0.1',
    port: sshd.port,
    user,
    identity: sshd.clientKey,
    pinnedHostKey: sshd.hostFingerprint(),
    connectTimeoutMs: 5000,
    env: { HOME: home, ...env },
    sshConfigFile: null,
  });

  it('runs privileged commands through sudo -n and plain ones as the user', async () => {
    const t = await connectSsh(opts(nopass));
    expect((await t.run('id -un', { privileged: false })).stdout).toBe(`${nopass}\n`);
    expect((await t.run('id -u')).stdout).toBe('0\n');
    expect((await t.run('cat', { stdin: 'through sudo\n' })).stdout).toBe('through sudo\n');

    const path = join(work, 'np.conf');
    await t.writeFile({ path, content: 'secret-ish\n', mode: 0o600, owner: 'root', group: 'root' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path).uid).toBe(0);
    expect((await t.readFile(path))?.toString()).toBe('secret-ish\n');
    expect(await t.readFile(join(work, 'none'))).toBeNull();
    await t.close();
  });

  it('uses sudo -S with STACKSCALE_SUDO_PASSWORD as the first stdin line, never in argv or output', async () => {
    const t = await connectSsh(opts(withpass, { STACKSCALE_SUDO_PASSWORD: password }));
    expect((await t.run('id -u')).stdout).toBe('0\n');
    // Twice: a cached sudo timestamp must not hand the password line to the second command.
    for (let i = 0; i < 2; i++) {
      const r = await t.run('cat', { stdin: `payload ${i}\n` });
      expect(r).toEqual({ code: 0, stdout: `payload ${i}\n`, stderr: '' });
    }
    const running = t.run('sleep 1.2; cat', { stdin: 'x' });
    await new Promise((r) => setTimeout(r, 500));
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).toContain('sleep 1.2');
    expect(ps).not.toContain(password);
    expect((await running).stdout).toBe('x');
    // With a deadline, the password still comes first on stdin, and a command past it is stopped as root on the host.
    expect((await t.run('cat', { stdin: 'bounded\n', timeoutMs: 5000 })).stdout).toBe('bounded\n');
    const marker = `sleep 35.${process.pid}`;
    await expect(t.run(`${marker}; cat`, { stdin: 'x', timeoutMs: 300 })).rejects.toThrow(/command timed out after 300 ms/);
    expect(await goneWithin(marker, 5000)).toBe(true);

    const path = join(work, 'pw.conf');
    await t.writeFile({ path, content: 'written via sudo -S\n', mode: 0o640, owner: 'root', group: withpass });
    expect(readFileSync(path, 'utf8')).toBe('written via sudo -S\n');
    await t.close();
  });

  it('says what to do when sudo needs a password and none is given, or the password is wrong', async () => {
    const t = await connectSsh(opts(withpass));
    const err = await t.run('id -u').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/cannot run sudo without a password.*STACKSCALE_SUDO_PASSWORD/s);
    await t.close();

    const bad = await connectSsh(opts(withpass, { STACKSCALE_SUDO_PASSWORD: 'wrong' }));
    const err2 = await bad.run('id -u').catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/sudo refused user/);
    expect((err2 as Error).message).not.toContain('wrong');
    await bad.close();
  }, 20_000);
});
