// The managed files in one `tar`: the files fact's script run here by /bin/sh against real files (modes, owners, a
// directory, a symlink, a file linked twice, binary bytes, a name longer than tar's 100-byte field, a missing path),
// and its parser; plus the host fact's CPU list and the PHP workers' RSS on one line.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesScript, parseFilesSection, parseTar } from '../../src/facts/files.js';
import { PRELUDE } from '../../src/facts/gather.js';
import { cpuListCount, parseCores } from '../../src/facts/host.js';
import { parsePhpSection } from '../../src/facts/php.js';
import { FactsParseError, splitSections } from '../../src/facts/section.js';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const isRoot = process.getuid?.() === 0;

describe('the files fact against real files', () => {
  let dir: string;
  const paths: Record<string, string> = {};
  const binary = Buffer.from([0x00, 0xff, 0x0a, 0x40, 0x40, 0x0a, ...Buffer.from('@@stackscale:end\nnaïve\n')]);
  let read: ReturnType<typeof parseFilesSection>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stackscale-files-'));
    const long = join(dir, 'a'.repeat(60), 'b'.repeat(60));
    mkdirSync(join(dir, 'a'.repeat(60)));
    Object.assign(paths, {
      conf: join(dir, 'www.conf'),
      empty: join(dir, "it's empty"),
      dir: join(dir, 'logdir'),
      link: join(dir, 'link.conf'),
      twice: join(dir, 'twice.conf'),
      long,
      missing: join(dir, 'missing.cnf'),
    });
    writeFileSync(paths.conf, binary);
    chmodSync(paths.conf, 0o640);
    if (isRoot) chownSync(paths.conf, 0, 33);
    writeFileSync(paths.empty, '');
    mkdirSync(paths.dir);
    chmodSync(paths.dir, 0o2750);
    symlinkSync(paths.conf, paths.link);
    linkSync(paths.conf, paths.twice);
    writeFileSync(long, 'long name\n');
    const all = Object.values(paths);
    const r = spawnSync('sh', ['-c', `${PRELUDE}\n${filesScript(all)}\necho end`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const section = splitSections(r.stdout).sections.find((s) => s.name === 'files');
    read = parseFilesSection(all, section?.lines ?? []);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads bytes, sha256, mode, owner and group, marker-like lines included', () => {
    expect(read.get(paths.conf)?.state).toEqual({
      path: paths.conf, exists: true, mode: 0o640, owner: 'root', group: isRoot ? 'www-data' : expect.any(String),
      content: binary.toString('utf8'), sha256: sha(binary),
    });
    expect(read.get(paths.conf)?.bytes).toEqual(binary);
    expect(read.get(paths.empty)?.state).toMatchObject({ exists: true, content: '', sha256: sha('') });
  });

  it('follows a symlink (as stat -L did) and reads a file linked twice under both names', () => {
    expect(read.get(paths.link)?.state).toMatchObject({ exists: true, mode: 0o640, sha256: sha(binary) });
    expect(read.get(paths.twice)?.state).toMatchObject({ exists: true, mode: 0o640, sha256: sha(binary) });
  });

  it('a directory: exists, its mode with the setgid bit, no content; a long name; a missing path', () => {
    expect(read.get(paths.dir)?.state).toEqual({ path: paths.dir, exists: true, mode: 0o2750, owner: expect.any(String), group: expect.any(String) });
    expect(read.get(paths.long)?.state).toMatchObject({ exists: true, content: 'long name\n' });
    expect(read.get(paths.missing)?.state).toEqual({ path: paths.missing, exists: false });
  });

  it('no path that exists: no tar at all, every path missing', () => {
    const r = spawnSync('sh', ['-c', `${PRELUDE}\n${filesScript([paths.missing])}`], { encoding: 'utf8' });
    expect(r.stdout).toBe('@@stackscale:section files\n');
    expect(parseFilesSection([paths.missing], []).get(paths.missing)?.state).toEqual({ path: paths.missing, exists: false });
  });
});

describe('files parser edge cases', () => {
  it('a path the shell saw but tar did not archive: exists, contents unknown (never taken for missing)', () => {
    const got = parseFilesSection(['/run/x.sock'], ['exists /run/x.sock', 'tar 2']);
    expect(got.get('/run/x.sock')?.state).toEqual({ path: '/run/x.sock', exists: true });
  });

  it('refuses an archive cut short, and a section without the exit code', () => {
    const r = spawnSync('sh', ['-c', 'cd / && tar -c -f - -P -h /etc/os-release | base64'], { encoding: 'utf8' });
    const cut = Buffer.from(r.stdout, 'base64').subarray(0, 700);
    expect(() => parseTar(cut)).toThrow(FactsParseError);
    expect(() => parseFilesSection(['/etc/os-release'], ['exists /etc/os-release', r.stdout])).toThrow(/no tar exit code/);
  });
});

describe('host and PHP parsers', () => {
  it('counts a kernel CPU list, preferring it to nproc and getconf', () => {
    expect(cpuListCount('0-1')).toBe(2);
    expect(cpuListCount('0-3,6,8-9')).toBe(7);
    expect(cpuListCount('3-1')).toBeUndefined();
    expect(cpuListCount('')).toBeUndefined();
    expect(parseCores(['allowed 0-3', 'nproc 2'])).toBe(4);
    expect(parseCores(['allowed junk', 'nproc 2'])).toBe(2);
    expect(parseCores(['online 6'])).toBe(6);
  });

  it('reads the workers RSS from one line or from a line per worker', () => {
    expect(parsePhpSection('8.2', ['running yes', 'rss 100 300 200']).workerRss).toBe(300 * 1024);
    expect(parsePhpSection('8.2', ['running yes', 'rss 100', 'rss 300']).workerRss).toBe(300 * 1024);
  });
});
