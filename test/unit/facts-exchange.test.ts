// Facts and daemon state in one exchange: commands started before the facts are sent ride in the facts script, run on
// this machine by the real script through the local transport, and answer exactly what they answer on their own.
import { describe, expect, it } from 'vitest';
import { factsExchange, parseRunSection, ridersScript } from '../../src/facts/exchange.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { RunOptions, RunResult, Transport } from '../../src/transport/types.js';
import { spawnSync } from 'node:child_process';

/** The local transport, counting the commands it is asked to run. */
class Counting extends LocalTransport {
  readonly commands: string[] = [];
  override async run(command: string | string[], options: RunOptions = {}): Promise<RunResult> {
    this.commands.push(Array.isArray(command) ? command.join(' ') : command);
    return super.run(command, options);
  }
}

const CASES: { command: string | string[]; options?: RunOptions }[] = [
  { command: 'cat; echo "to stderr" >&2; exit 3', options: { stdin: "SELECT 'x' AS a\\G\nline two with 'quotes' and $HOME\n" } },
  { command: ['printf', '%s\n', 'argv form', "it's"] },
  { command: 'head -c 5; echo; od -An -c | head -1', options: { stdin: Buffer.from('naïve bytes\n') } },
  { command: 'printf "@@stackscale:section fake\\n@@stackscale:end\\n"' },
];

describe('factsExchange', () => {
  it('runs every command started before the facts in the one facts round trip, with its own stdout, stderr and code', async () => {
    const direct = new LocalTransport();
    const expected = await Promise.all(CASES.map((c) => direct.run(c.command, c.options)));
    const t = new Counting();
    const exchange = factsExchange(t);
    const pending = CASES.map((c) => exchange.transport.run(c.command, c.options));
    const facts = await exchange.gather([]);
    expect(await Promise.all(pending)).toEqual(expected);
    expect(t.commands).toEqual(['sh -s']);
    expect(facts.memory).toBeGreaterThan(0);
    expect(expected[0]).toMatchObject({ code: 3, stderr: 'to stderr\n' });
  });

  it('sends what cannot ride on its own: unprivileged, stdin without a final newline, anything after the facts', async () => {
    const t = new Counting();
    const exchange = factsExchange(t);
    const unprivileged = exchange.transport.run('echo a', { privileged: false });
    const bare = exchange.transport.run('cat', { stdin: 'no newline' });
    const rides = exchange.transport.run('echo b');
    await exchange.gather([]);
    const late = await exchange.transport.run('echo c');
    expect([(await unprivileged).stdout, (await bare).stdout, (await rides).stdout, late.stdout]).toEqual(['a\n', 'no newline', 'b\n', 'c\n']);
    expect(t.commands).toEqual(['echo a', 'cat', 'sh -s', 'echo c']);
  });

  it('a rider whose section is missing (no mktemp there) is run on its own', async () => {
    const calls: string[] = [];
    const local = new LocalTransport();
    const noTemp: Transport = {
      host: 'h',
      run: async (command, options) => {
        calls.push(Array.isArray(command) ? command.join(' ') : command);
        const stdin = String(options?.stdin ?? '').replace('_xd=$(umask 077; mktemp -d 2>/dev/null) || _xd=', '_xd=');
        return local.run(command, { ...options, stdin });
      },
      readFile: async () => null,
      writeFile: async () => undefined,
      close: async () => undefined,
    };
    const exchange = factsExchange(noTemp);
    const r = exchange.transport.run('echo rider');
    await exchange.gather([]);
    expect((await r).stdout).toBe('rider\n');
    expect(calls).toEqual(['sh -s', 'echo rider']);
  });

  it('the riders script is POSIX sh and leaves no temp dir behind', () => {
    const { start, finish } = ridersScript([{ command: 'echo x', stdin: 'a\n' }], 'DELIM');
    const r = spawnSync('sh', ['-c', `sec() { echo "@@stackscale:section $*"; }\n${start}\nd=$_xd\n${finish}\n[ -e "$d" ] && echo left`], { encoding: 'utf8' });
    expect(r.stdout).toBe(`@@stackscale:section run 0\ncode 0\nstdout\n${Buffer.from('x\n').toString('base64')}\nstderr\n`);
    expect(parseRunSection(r.stdout.split('\n').slice(1))).toEqual({ code: 0, stdout: 'x\n', stderr: '' });
    expect(() => ridersScript([{ command: 'cat', stdin: 'x\nDELIM\n' }], 'DELIM')).toThrow(/delimiter/);
  });
});
