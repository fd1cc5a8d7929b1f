import { describe, expect, test } from 'vitest';
import { confirmOrRefuse } from '../../src/cli/confirm.js';
import { terminalPrompter, usePrompter } from '../../src/cli/prompts.js';
import type { Io } from '../../src/cli/io.js';
import { UserError } from '../../src/errors.js';

const io = (isTTY: boolean): Io => ({ stdout: () => undefined, stderr: () => undefined, isTTY, env: {}, cwd: '/' });

describe('confirmOrRefuse', () => {
  test('--yes goes ahead without asking', async () => {
    expect(await confirmOrRefuse(io(false), true, 'Apply?', 'apply')).toBe(true);
  });

  test('no terminal and no --yes: refused, exit 1, told to pass --yes', async () => {
    const err = await confirmOrRefuse(io(false), undefined, 'Apply?', 'apply').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(1);
    expect((err as UserError).message).toMatch(/refusing to apply without confirmation.*pass --yes/);
  });

  test('on a terminal the prompt module is asked (and a "no" is a no)', async () => {
    const asked: string[] = [];
    const restore = usePrompter({ ...terminalPrompter, confirm: async (q) => (asked.push(q.message), false) });
    try {
      expect(await confirmOrRefuse(io(true), undefined, 'Apply these changes?', 'apply')).toBe(false);
    } finally {
      restore();
    }
    expect(asked).toEqual(['Apply these changes?']);
  });
});
