// A FakeTransport that behaves like a host for the commands apply runs: it moves, copies, hashes and removes files in
// its in-memory filesystem, holds the lock directory, and answers service commands and clients as scripted.
import { createHash } from 'node:crypto';
import { FakeTransport } from '../../src/transport/double.js';
import type { HostFacts } from '../../src/facts/types.js';

/** Split the shell text shellQuote/toShell produce back into argv. */
export function splitShell(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      cur += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '\\') {
      cur += text[++i];
      inWord = true;
    } else if (c === ' ') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

export interface FakeHostOptions {
  /** Reply of the daemon checkers (argv[3] = 'stackscale-check'). */
  checker?: (argv: string[]) => { code: number; stderr?: string };
  /** Reply of php -- SOCKET PATH (the FastCGI ping). */
  fpmPing?: () => { code: number; stdout: string };
  redisPing?: () => string;
}

export function fakeHost(files: Record<string, string>, opts: FakeHostOptions = {}): FakeTransport {
  const fake = new FakeTransport('web1', { files });
  fake.on(() => true, (text, options, f) => {
    const argv = splitShell(text);
    const stdin = options.stdin === undefined ? '' : Buffer.from(options.stdin).toString('utf8');
    const [cmd] = argv;
    const script = argv[3];
    if (cmd === 'sh' && script === 'stackscale-lock') {
      if (f.files.has(`${argv[4]}/owner`)) return { code: 3 };
      f.setFile(`${argv[4]}/owner`, stdin);
      return { code: 0 };
    }
    if (cmd === 'sh' && (script === 'stackscale-backup' || script === 'stackscale-restore')) {
      const src = f.files.get(argv[4]);
      if (!src) return { code: 1, stderr: `cp: cannot stat '${argv[4]}'` };
      f.files.set(argv[5], { ...src, content: Buffer.from(src.content) });
      return { code: 0 };
    }
    if (cmd === 'sh' && script === 'stackscale-check') return opts.checker?.(argv) ?? { code: 0 };
    if (cmd === 'sh') return { code: 0, stdout: '' }; // listDeployments: nothing else kept
    if (cmd === 'cat') {
      const file = f.text(argv[2]);
      return file === undefined ? { code: 1, stderr: 'No such file' } : { code: 0, stdout: file };
    }
    if (cmd === 'rm') {
      const paths = argv.slice(argv.indexOf('--') + 1);
      for (const p of paths) for (const k of [...f.files.keys()]) if (k === p || k.startsWith(`${p}/`)) f.files.delete(k);
      return { code: 0 };
    }
    if (cmd === 'mv') {
      const [src, dest] = argv.slice(3);
      const file = f.files.get(src);
      if (!file) return { code: 1, stderr: 'mv: no such file' };
      f.files.set(dest, file);
      f.files.delete(src);
      return { code: 0 };
    }
    if (cmd === 'sha256sum') {
      const file = f.files.get(argv[2]);
      return file ? { code: 0, stdout: `${createHash('sha256').update(file.content).digest('hex')}  ${argv[2]}\n` } : { code: 1 };
    }
    if (cmd === 'find') {
      const dirs = argv.slice(1, argv.indexOf('-maxdepth'));
      const hits = [...f.files.keys()].filter((k) => dirs.some((d) => k.startsWith(`${d}/.`) && /\.stackscale-|\/\.stackscale\.\w{6}$/.test(k)));
      if (argv.includes('-delete')) for (const h of hits) f.files.delete(h);
      return { code: 0, stdout: hits.map((h) => `${h}\n`).join('') };
    }
    if (cmd === 'systemctl' || cmd === 'service' || cmd === 'mkdir') return { code: 0 };
    if (cmd === 'redis-cli') {
      const lines = stdin.trim().split('\n');
      if (lines.some((l) => l === 'PING')) return { code: 0, stdout: lines.map((l) => (l === 'PING' ? opts.redisPing?.() ?? 'PONG' : 'OK')).join('\n') + '\n' };
      return { code: 0, stdout: lines.map(() => 'OK').join('\n') + '\n' };
    }
    if (cmd === 'php') return opts.fpmPing?.() ?? { code: 0, stdout: 'pong' };
    if (cmd === 'mariadb' || cmd === 'mysql') return { code: 0, stdout: '1\n' };
    return { code: 127, stderr: `fake host: unknown command ${text}` };
  });
  return fake;
}

export function facts(files: Record<string, string>, over: Partial<HostFacts> = {}): HostFacts {
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
  return {
    host: 'web1',
    os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    hostname: 'web1',
    memory: 8 * 2 ** 30,
    cores: 4,
    somaxconn: 4096,
    initSystem: 'systemd',
    php: { version: '8.2', poolDir: '/etc/php/8.2/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.2', service: 'php8.2-fpm', running: true },
    redis: { version: '7.0.15', service: 'redis-server', running: true },
    files: Object.fromEntries(
      Object.entries(files).map(([path, content]) => [path, { path, exists: true, content, mode: 0o644, owner: 'root', group: 'root', sha256: sha(content) }]),
    ),
    ...over,
  };
}

/** Only the commands that change something or act on a service (not the read-only probes and hashes). */
export function actingCommands(fake: FakeTransport): string[] {
  return fake.log
    .filter((c) => c.kind === 'write' || (c.kind === 'run' && !/^(sha256sum|cat|find \S+ .*-print$)/.test(c.command)))
    .map((c) => (c.kind === 'write' ? `WRITE ${c.command}` : c.command));
}
