// SshTransport against a real sshd on 127.0.0.1: host keys, commands, files, secrets, limits, dead hosts.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, UnreachableError, UserError } from '../../src/errors.js';
import { connectSsh, type SshOptions } from '../../src/transport/ssh.js';
import { freePort, goneWithin, keygen, pgrep, sshdAvailable, startSshd, type Sshd } from './sshd.js';

// Needs root and sshd (.ci/run installs it): without them the tests fail, never skip.
describe('SshTransport against a real sshd', () => {
  it('this machine can run these tests (root, /usr/sbin/sshd)', () => {
    expect(sshdAvailable).toBe(true);
  });

  let sshd: Sshd;
  let home: string;

  beforeAll(async () => {
    sshd = await startSshd();
    home = mkdtempSync(join(tmpdir(), 'stackscale-home-'));
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  /** Options isolated from this machine's own ~/.ssh, agent and environment. */
  const opts = (over: Partial<SshOptions> = {}): SshOptions => ({
    name: 'web1',
    address: '127.0.0.1',
    port: sshd.port,
    user: 'root',
    identity: sshd.clientKey,
    knownHostsFile: join(home, 'known_hosts-accepted'),
    acceptNewHostKey: true,
    connectTimeoutMs: 5000,
    env: { HOME: home },
    sshConfigFile: null,
    ...over,
  });

  async function refusal(o: SshOptions): Promise<UnreachableError> {
    const err = await connectSsh(o).then(
      (t) => {
        void t.close();
        throw new Error('connected, but should have been refused');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnreachableError);
    return err as UnreachableError;
  }

  describe('host keys', () => {
    it('refuses an unknown key, accepts and records it with acceptNew, then accepts it silently; refuses a changed key always', async () => {
      const known = join(home, '.ssh', 'known_hosts');
      const fp = sshd.hostFingerprint();

      const unknown = await refusal(opts({ knownHostsFile: known, acceptNewHostKey: false }));
      expect(unknown.exitCode).toBe(EXIT.unreachable);
      expect(unknown.message).toContain('web1');
      expect(unknown.message).toContain(fp);
      expect(unknown.message).toContain('--accept-new-host-key');
      expect(unknown.message).toContain(`host_key: ${fp}`);
      expect(existsSync(known)).toBe(false);

      const t1 = await connectSsh(opts({ knownHostsFile: known, acceptNewHostKey: true }));
      await t1.close();
      const recorded = readFileSync(known, 'utf8');
      expect(recorded).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub().split(' ').slice(0, 2).join(' ')}\n`);
      expect(statSync(known).mode & 0o777).toBe(0o600);
      expect(statSync(join(home, '.ssh')).mode & 0o777).toBe(0o700);

      const t2 = await connectSsh(opts({ knownHostsFile: known, acceptNewHostKey: false }));
      expect((await t2.run('echo ok')).stdout).toBe('ok\n');
      await t2.close();
      expect(readFileSync(known, 'utf8')).toBe(recorded);

      await sshd.restart({ newHostKey: true });
      const newFp = sshd.hostFingerprint();
      const changed = await refusal(opts({ knownHostsFile: known, acceptNewHostKey: true }));
      expect(changed.exitCode).toBe(EXIT.unreachable);
      expect(changed.message).toContain('HOST KEY CHANGED');
      expect(changed.message).toContain(fp);
      expect(changed.message).toContain(newFp);
      expect(changed.message).toContain(`${known}:1`);
      expect(readFileSync(known, 'utf8')).toBe(recorded);
    });

    it('accepts a pinned fingerprint without known_hosts and refuses a wrong pin', async () => {
      const none = join(home, 'no-known-hosts');
      const t = await connectSsh(opts({ knownHostsFile: none, acceptNewHostKey: false, pinnedHostKey: sshd.hostFingerprint() }));
      expect((await t.run('echo pinned')).stdout).toBe('pinned\n');
      await t.close();
      expect(existsSync(none)).toBe(false);

      const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
      const err = await refusal(opts({ knownHostsFile: none, acceptNewHostKey: true, pinnedHostKey: wrong }));
      expect(err.message).toContain(wrong);
      expect(err.message).toContain(sshd.hostFingerprint());
    });

    it('fails closed on an unreadable known_hosts file', async () => {
      const dirAsFile = join(home, 'known-hosts-is-a-dir');
      mkdirSync(dirAsFile);
      const err = await refusal(opts({ knownHostsFile: dirAsFile, acceptNewHostKey: true }));
      expect(err.message).toMatch(/cannot read known hosts file/);
    });
  });

  describe('commands and files', () => {
    it('runs a command with stdin and returns stdout, stderr and the exit code', async () => {
      const t = await connectSsh(opts());
      const r = await t.run('tr a-z A-Z; echo oops >&2; exit 3', { stdin: 'hello\n' });
      expect(r).toEqual({ code: 3, stdout: 'HELLO\n', stderr: 'oops\n' });
      const argv = await t.run(['printf', '%s|', "it's", 'a b', '$HOME']);
      expect(argv.stdout).toBe("it's|a b|$HOME|");
      await t.close();
    });

    it('reads files, null for a missing one, an error for one it cannot read', async () => {
      const t = await connectSsh(opts());
      const dir = mkdtempSync(join(tmpdir(), 'stackscale-read-'));
      writeFileSync(join(dir, 'a.conf'), Buffer.from([0, 1, 2, 255]));
      expect(await t.readFile(join(dir, 'a.conf'))).toEqual(Buffer.from([0, 1, 2, 255]));
      expect(await t.readFile(join(dir, 'missing.conf'))).toBeNull();
      await expect(t.readFile(dir)).rejects.toThrow(/cannot read/);
      await t.close();
      rmSync(dir, { recursive: true });
    });

    it('writes a file atomically with owner and mode and leaves no temp file; a failure leaves none either', async () => {
      const t = await connectSsh(opts());
      const dir = mkdtempSync(join(tmpdir(), 'stackscale-write-'));
      const path = join(dir, 'pool.conf');
      writeFileSync(path, 'old\n');
      await t.writeFile({ path, content: 'new content\n', mode: 0o640, owner: 'root', group: 'nogroup' });
      expect(readFileSync(path, 'utf8')).toBe('new content\n');
      const st = statSync(path);
      expect(st.mode & 0o7777).toBe(0o640);
      expect(st.uid).toBe(0);
      expect(execFileSync('stat', ['-c', '%G', path], { encoding: 'utf8' }).trim()).toBe('nogroup');
      expect(readdirSync(dir)).toEqual(['pool.conf']);

      await expect(t.writeFile({ path: join(dir, 'x.conf'), content: 'x', mode: 0o644, owner: 'no-such-user-xyz', group: 'root' })).rejects.toThrow(
        /cannot write .*x\.conf/,
      );
      expect(readdirSync(dir)).toEqual(['pool.conf']);
      await expect(t.writeFile({ path: join(dir, 'nodir', 'y.conf'), content: 'y', mode: 0o644, owner: 'root', group: 'root' })).rejects.toThrow(
        /cannot write/,
      );
      await t.close();
      rmSync(dir, { recursive: true });
    });

    it('keeps a secret passed on stdin out of the process list', async () => {
      const t = await connectSsh(opts());
      const secret = `s3cret-${process.pid}-${Date.now()}`;
      const running = t.run('read -r line; sleep 1.5; echo "${#line}"', { stdin: `${secret}\n` });
      await new Promise((r) => setTimeout(r, 600));
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      expect(ps).toContain('sleep 1.5');
      expect(ps).not.toContain(secret);
      expect((await running).stdout).toBe(`${secret.length}\n`);

      const dir = mkdtempSync(join(tmpdir(), 'stackscale-secret-'));
      await t.writeFile({ path: join(dir, 'redis.conf'), content: `requirepass ${secret}\n`, mode: 0o600, owner: 'root', group: 'root' });
      expect(readFileSync(join(dir, 'redis.conf'), 'utf8')).toContain(secret);
      rmSync(dir, { recursive: true });
      await t.close();
    });

    it('runs 20 commands in parallel on one connection (at most 8 channels at once)', async () => {
      const t = await connectSsh(opts());
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => t.run(`sleep 0.2; echo ${i}`)));
      expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      expect(results.every((r) => r.code === 0)).toBe(true);
      await t.close();
    });

    it('times out a command with an error naming the host and the command, and the connection stays usable', async () => {
      const t = await connectSsh(opts());
      const err = await t.run('sleep 30', { timeoutMs: 300, stdin: 'do-not-show-me' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain('web1');
      expect((err as Error).message).toContain('sleep 30');
      expect((err as Error).message).not.toContain('do-not-show-me');
      expect((await t.run('echo still')).stdout).toBe('still\n');
      await t.close();
    });

    it('a run that outlives its timeout is stopped on the host as well: the command and its children, not its daemons', async () => {
      const t = await connectSsh(opts());
      const marker = `sleep 33.${process.pid}`;
      const daemon = `sleep 34.${process.pid}`;
      // A daemon the command starts in a session of its own (as service ... start does) is not the command's to stop.
      const err = await t.run(`setsid ${daemon} </dev/null >/dev/null 2>&1 & ${marker}; echo never`, { timeoutMs: 500 }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/command timed out after 500 ms/);
      expect(await goneWithin(marker, 5000)).toBe(true);
      expect(pgrep(daemon)).not.toBe('');
      execFileSync('pkill', ['-f', daemon]);
      // Within its deadline a command runs as before, its exit code and output its own.
      expect(await t.run('echo ok; exit 7', { timeoutMs: 5000 })).toEqual({ code: 7, stdout: 'ok\n', stderr: '' });
      await t.close();
    });
  });

  describe('streams', () => {
    it('streams stdin to a command and its output back; done gives the exit code', async () => {
      const t = await connectSsh(opts());
      const s = await t.stream('tr a-z A-Z; exit 3');
      let out = '';
      s.stdout.on('data', (d: Buffer) => void (out += d.toString()));
      s.stdin.end('streamed\n');
      expect(await s.done).toEqual({ code: 3 });
      expect(out).toBe('STREAMED\n');
      await t.close();
    });

    it('stops a stream that outlives its timeout: done rejects naming host and command, and its channel slot comes back', async () => {
      const t = await connectSsh(opts());
      const marker = `sleep 31.${process.pid}`;
      const s = await t.stream(`echo started; ${marker}`, { timeoutMs: 500 });
      s.stdin.end();
      let out = '';
      s.stdout.on('data', (d: Buffer) => void (out += d.toString()));
      const t0 = Date.now();
      const err = await s.done.catch((e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe(`web1: command timed out after 500 ms: echo started; ${marker}`);
      expect(out).toBe('started\n');
      // The command is gone from the host too (the sshd here runs on this machine), shell and child alike, within the
      // host-side timeout's second of slack and its KILL grace.
      expect(await goneWithin(marker, 5000)).toBe(true);
      // Every one of the 8 channel slots is free again.
      const after = await Promise.all(Array.from({ length: 8 }, (_, i) => t.run(`echo ${i}`, { timeoutMs: 5000 })));
      expect(after.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
      await t.close();
    });
  });

  describe('authentication', () => {
    it('unlocks an encrypted identity with STACKSCALE_KEY_PASSPHRASE or the prompt, and says what to do without one', async () => {
      const key = join(home, 'enc_ed25519');
      keygen(key, { passphrase: 'correct horse' });
      sshd.authorize(readFileSync(`${key}.pub`, 'utf8'));
      const viaEnv = await connectSsh(opts({ identity: key, env: { HOME: home, STACKSCALE_KEY_PASSPHRASE: 'correct horse' } }));
      await viaEnv.close();
      const prompts: string[] = [];
      const viaPrompt = await connectSsh(opts({ identity: key, askPassphrase: async (p) => (prompts.push(p), 'correct horse') }));
      await viaPrompt.close();
      expect(prompts).toEqual([`Passphrase for ${key}: `]);
      const missing = await connectSsh(opts({ identity: key })).catch((e: unknown) => e);
      expect((missing as Error).message).toMatch(/encrypted.*STACKSCALE_KEY_PASSPHRASE/s);
      expect((missing as UserError).exitCode).toBe(3);
    });

    it('reads and unlocks a key file once per run when the connections share a key cache', async () => {
      const key = join(home, 'cached_ed25519');
      keygen(key, { passphrase: 'battery staple' });
      sshd.authorize(readFileSync(`${key}.pub`, 'utf8'));
      const keyCache: NonNullable<SshOptions['keyCache']> = new Map();
      const prompts: string[] = [];
      const ask = async (p: string) => (prompts.push(p), 'battery staple');
      const first = await connectSsh(opts({ identity: key, askPassphrase: ask, keyCache }));
      await first.close();
      // The file is gone now: only the cached key can log in, and no passphrase is asked again.
      rmSync(key);
      const second = await connectSsh(opts({ identity: key, askPassphrase: ask, keyCache }));
      expect((await second.run(['true'])).code).toBe(0);
      await second.close();
      expect(prompts).toHaveLength(1);
      expect([...keyCache.keys()]).toEqual([key]);
      // Without the cache the missing file is reported as before (exit 3).
      const err = await connectSsh(opts({ identity: key })).catch((e: unknown) => e);
      expect((err as UserError).exitCode).toBe(3);
    });

    it('reports a key the server does not accept as exit 4', async () => {
      const key = join(home, 'stranger_ed25519');
      keygen(key);
      const err = await refusal(opts({ identity: key }));
      expect(err.message).toMatch(/refused every key offered for user root/);
    });

    it('logs in with a key held by ssh-agent (SSH_AUTH_SOCK) when no identity is given', async () => {
      const sock = join(home, 'agent.sock');
      const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
        execFileSync('ssh-add', ['-q', sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
        const t = await connectSsh(opts({ identity: undefined, env: { HOME: home, SSH_AUTH_SOCK: sock } }));
        expect((await t.run('echo agent')).stdout).toBe('agent\n');
        await t.close();
      } finally {
        agent.kill();
      }
    });

    it('tries the default key files under HOME when no identity is given', async () => {
      mkdirSync(join(home, '.ssh'), { recursive: true });
      writeFileSync(join(home, '.ssh', 'id_ed25519'), readFileSync(sshd.clientKey), { mode: 0o600 });
      const t = await connectSsh(opts({ identity: undefined }));
      expect((await t.run('echo default')).stdout).toBe('default\n');
      await t.close();
      rmSync(join(home, '.ssh', 'id_ed25519'));
    });

    it('takes HostName, Port, User and IdentityFile from ssh config; the site file wins where it says', async () => {
      const cfg = join(home, 'ssh_config');
      writeFileSync(
        cfg,
        `Host db-*\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${sshd.clientKey}\nHost *\n  Port 1\n`,
      );
      const t = await connectSsh(opts({ address: 'db-primary', port: undefined, user: undefined, identity: undefined, sshConfigFile: cfg }));
      expect((await t.run('id -un')).stdout).toBe('root\n');
      await t.close();
      const err = await refusal(opts({ address: 'db-primary', port: await freePort(), sshConfigFile: cfg }));
      expect(err.message).toMatch(/cannot connect/);

      // An IdentityFile from ssh config that does not exist is skipped, as ssh does; with nothing left, a clear error.
      writeFileSync(cfg, `Host db-*\n  HostName 127.0.0.1\n  IdentityFile ~/.ssh/not-there\n`);
      await expect(connectSsh(opts({ address: 'db-primary', identity: undefined, sshConfigFile: cfg }))).rejects.toThrow(
        `web1: no SSH key to log in with: no agent (SSH_AUTH_SOCK) and no usable key among ${join(home, '.ssh', 'not-there')}`,
      );
    });
  });
});

describe('hosts that do not answer', () => {
  const homes: string[] = [];
  afterAll(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));
  const base = (port: number, over: Partial<SshOptions> = {}): SshOptions => {
    const home = mkdtempSync(join(tmpdir(), 'stackscale-dead-'));
    homes.push(home);
    keygen(join(home, 'k'));
    return {
      name: 'dead1',
      address: '127.0.0.1',
      port,
      user: 'root',
      identity: join(home, 'k'),
      knownHostsFile: join(home, 'known_hosts'),
      acceptNewHostKey: true,
      connectTimeoutMs: 1500,
      env: { HOME: home },
      sshConfigFile: null,
      ...over,
    };
  };

  it('fails fast with UnreachableError when nothing listens on the port', async () => {
    const started = Date.now();
    const err = await connectSsh(base(await freePort())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as UnreachableError).exitCode).toBe(4);
    expect((err as Error).message).toMatch(/^dead1: cannot connect to 127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('fails within the timeout when the server accepts but never speaks SSH', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const started = Date.now();
    const err = await connectSsh(base(port)).catch((e: unknown) => e);
    const took = Date.now() - started;
    sockets.forEach((s) => s.destroy());
    server.close();
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toContain('dead1');
    expect((err as Error).message).toMatch(/within 1500 ms/);
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(4000);
  });
});
