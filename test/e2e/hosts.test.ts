// Proves the test-host harness (test/hosts/): real, separate, reachable hosts with the Debian services running.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testHost, testHosts } from '../hosts/context.js';
import { startHosts, stopHosts, fingerprint } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';

describe('test hosts', () => {
  it('are provided: h1, h2, h3 with distinct addresses on one bridge', () => {
    const hosts = testHosts();
    expect(hosts.map((h) => h.name)).toEqual(['h1', 'h2', 'h3']);
    expect(new Set(hosts.map((h) => h.address)).size).toBe(3);
    expect(new Set(hosts.map((h) => h.bridge)).size).toBe(1);
    for (const h of hosts) {
      expect(h.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(existsSync(h.rootKey)).toBe(true);
      expect(existsSync(h.knownHosts)).toBe(true);
    }
  });

  it.each(['h1', 'h2', 'h3'])('%s: root logs in by key with strict host-key checking; its hostname is its own', async (name) => {
    const h = testHost(name);
    const r = await ssh(h, 'hostname; id -un; cat /etc/hostname');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual([name, 'root', name]);
  });

  it.each(['h1', 'h2', 'h3'])('%s: deploy logs in and has passwordless sudo', async (name) => {
    const h = testHost(name);
    const r = await ssh(h, 'id -un; sudo -n true && echo sudo-ok; sudo -n id -u', { user: h.deployUser });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['deploy', 'sudo-ok', '0']);
  });

  it('every host has its own host key, the one sshd presents and the one known_hosts holds', async () => {
    const hosts = testHosts();
    expect(new Set(hosts.map((h) => h.hostKey)).size).toBe(hosts.length);
    expect(new Set(hosts.map((h) => h.hostKeyFingerprint)).size).toBe(hosts.length);
    for (const h of hosts) {
      const r = await ssh(h, 'ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub; ls /etc/ssh | grep -c ssh_host_');
      expect(r.code, r.stderr).toBe(0);
      const [line, count] = r.stdout.trim().split('\n');
      expect(line.split(' ')[1]).toBe(h.hostKeyFingerprint);
      expect(count).toBe('2'); // only its ed25519 pair: none of this machine's keys
      expect(fingerprint(h.hostKey)).toBe(h.hostKeyFingerprint);
    }
  });

  it('a wrong key in known_hosts is refused (the checking is real)', async () => {
    const [h1, h2] = [testHost('h1'), testHost('h2')];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kh-'));
    try {
      const wrong = path.join(dir, 'known_hosts');
      writeFileSync(wrong, `${h1.address} ${h2.hostKey}\n`);
      const r = await ssh(h1, 'true', { knownHosts: wrong });
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('h1 runs mariadb, redis and php-fpm, started by their init scripts', async () => {
    const r = await ssh(
      testHost('h1'),
      'mysqladmin ping; redis-cli ping; kill -0 "$(cat /run/php/php8.2-fpm.pid)" && echo fpm-alive; ' +
        'test -S /run/php/php8.2-fpm.sock && echo fpm-socket; test -d /run/systemd/system || echo no-systemd',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['mysqld is alive', 'PONG', 'fpm-alive', 'fpm-socket', 'no-systemd']);
  });

  it.each(['h2', 'h3'])('%s runs mariadb (and only that besides sshd)', async (name) => {
    const r = await ssh(testHost(name), 'mysqladmin ping; mariadb -NBe "select 1"; pgrep -x redis-server || echo no-redis');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['mysqld is alive', '1', 'no-redis']);
  });

  it('hosts reach each other over the bridge', async () => {
    const hosts = testHosts();
    for (const from of hosts) {
      const targets = hosts.filter((h) => h !== from);
      const cmd = targets.map((t) => `timeout 3 bash -c '</dev/tcp/${t.address}/22' && echo ok-${t.name}`).join('; ');
      const r = await ssh(from, cmd);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(targets.map((t) => `ok-${t.name}`));
    }
  });

  it('a write to /etc on a host stays on that host', async () => {
    const probe = `/etc/stackscale-e2e-probe-${process.pid}-${Date.now()}`;
    const r = await ssh(testHost('h1'), `echo written > ${probe} && cat ${probe}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('written');
    expect(existsSync(probe)).toBe(false); // not on this machine
    const other = await ssh(testHost('h2'), `test -e ${probe} && echo present || echo absent`);
    expect(other.stdout.trim()).toBe('absent');
    await ssh(testHost('h1'), `rm -f ${probe}`);
  });

  it('startHosts/stopHosts: more hosts on a set of their own, sshd only, gone without a trace after', async () => {
    const extra = await startHosts([{ name: 'light1', services: [] }, { name: 'light2', services: [] }]);
    try {
      expect(extra[0].slot).not.toBe(testHost('h1').slot);
      expect(extra[0].address).not.toBe(testHost('h1').address);
      for (const h of extra) {
        const r = await ssh(h, 'hostname; pgrep -x mariadbd || pgrep -x redis-server || echo sshd-only');
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.trim().split('\n')).toEqual([h.name, 'sshd-only']);
      }
    } finally {
      await stopHosts(extra);
    }
    const { bridge, stateDir } = extra[0];
    expect(existsSync(stateDir)).toBe(false);
    expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).not.toContain(`${bridge}:`);
    expect(execFileSync('findmnt', ['-rn', '-o', 'TARGET']).toString()).not.toContain(stateDir);
  });
});
