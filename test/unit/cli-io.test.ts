// Colour only on a TTY, never under CI=true, NO_COLOR or --no-color; --json moves the human lines to stderr.
import { describe, expect, it } from 'vitest';
import { Reporter, styleFor, type Io } from '../../src/cli/io.js';

function io(isTTY: boolean, env: Record<string, string> = {}): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { isTTY, env, cwd: '/', stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), out, err };
}

const ANSI = /\x1b\[/;

describe('colour rules (src/cli/io.ts)', () => {
  it.each([
    ['a terminal', true, {}, undefined, true],
    ['no terminal (pipe, CI log)', false, {}, undefined, false],
    ['a terminal under CI=true', true, { CI: 'true' }, undefined, false],
    ['a terminal under CI=1', true, { CI: '1' }, undefined, false],
    ['a terminal with NO_COLOR', true, { NO_COLOR: '' }, undefined, false],
    ['a terminal with --no-color', true, {}, false, false],
  ] as const)('%s -> colour %s', (_what, tty, env, flag, coloured) => {
    const s = styleFor(io(tty, env), flag);
    expect(ANSI.test(s.red('x') + s.bold('y') + s.dim('z'))).toBe(coloured);
  });

  it('--json: human lines go to stderr, the document alone to stdout', () => {
    const i = io(false);
    const r = new Reporter(i, true, styleFor(i, undefined));
    r.line('[web1] connecting');
    r.document({ ok: true });
    expect(i.err).toEqual(['[web1] connecting\n']);
    expect(JSON.parse(i.out.join(''))).toEqual({ ok: true });
  });
});
