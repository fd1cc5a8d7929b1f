// Facts and daemon state in ONE exchange. Plan starts its daemon-state reads (the databases' replication state,
// plan/early.ts) as soon as a host is connected, through the transport it is handed; with an exchange that transport
// does not open a channel per command: a command started before the facts are sent rides in the facts script instead,
// started in the background before the facts' sections (so it overlaps them, as a second channel did) and printed
// after them as a `run <n>` section. The host then sees one channel, one `sh -s` and one sudo instead of two or more.
// A command that cannot ride (not privileged, stdin that a here-document cannot carry exactly, sent too late) goes to
// the transport as before; so does one whose section is missing (no mktemp on the host): the caller cannot tell.
import { randomBytes } from 'node:crypto';
import type { FileWrite, RunOptions, RunResult, Transport } from '../transport/types.js';
import { shellQuote, toShell } from '../transport/types.js';
import { runFactsScript, type ScriptExtra } from './gather.js';
import { first, indexSections, keyValues, splitSections } from './section.js';
import type { HostFacts } from './types.js';

/** A rider is killed after this long, so a stuck query cannot hold up the facts; its caller then sees it fail. */
export const RIDER_TIMEOUT_S = 20;

interface Rider {
  command: string;
  options: RunOptions;
  resolve(r: RunResult): void;
  reject(err: unknown): void;
}

export interface FactsExchange {
  /** Hand this to whoever starts reads now: their commands join the facts round trip. */
  readonly transport: Transport;
  /** Send the facts script with every command started so far; later commands go straight to the host. */
  gather(managedPaths: string[]): Promise<HostFacts>;
}

/** A here-document carries text ending in a newline exactly (or nothing at all); not NUL, not a bare last line. */
function canRide(stdin: RunOptions['stdin']): boolean {
  if (stdin === undefined || stdin.length === 0) return true;
  const text = Buffer.isBuffer(stdin) ? stdin.toString('utf8') : stdin;
  if (Buffer.isBuffer(stdin) && !Buffer.from(text, 'utf8').equals(stdin)) return false;
  return text.endsWith('\n') && !text.includes('\0');
}

/** The sh that starts the riders (in the background, output to a private temp dir) and later prints their results. */
export function ridersScript(riders: { command: string; stdin?: string | Buffer }[], delimiter = `@@stackscale-stdin-${randomBytes(8).toString('hex')}`): ScriptExtra {
  const jobs = riders.map((r, i) => {
    const text = r.stdin === undefined ? '' : r.stdin.toString();
    if (text.split('\n').includes(delimiter)) throw new Error('facts exchange: stdin holds the here-document delimiter');
    const run = `sh -c ${shellQuote(r.command)}`;
    return `{ if command -v timeout >/dev/null; then timeout -s KILL ${RIDER_TIMEOUT_S} ${run}; else ${run}; fi >"$_xd/${i}.out" 2>"$_xd/${i}.err" <<'${delimiter}'
${text}${delimiter}
echo "$?" >"$_xd/${i}.rc"; } &`;
  });
  const start = `_xd=$(umask 077; mktemp -d 2>/dev/null) || _xd=
if [ -n "$_xd" ]; then
${jobs.join('\n')}
fi`;
  const finish = `wait
if [ -n "$_xd" ]; then
  for _i in ${riders.map((_, i) => i).join(' ')}; do
    [ -r "$_xd/$_i.rc" ] || continue
    sec run "$_i"
    { read -r _rc < "$_xd/$_i.rc"; echo "code $_rc"; echo stdout; [ -s "$_xd/$_i.out" ] && base64 < "$_xd/$_i.out"; echo stderr; [ -s "$_xd/$_i.err" ] && base64 < "$_xd/$_i.err"; } 2>/dev/null
  done
  rm -rf "$_xd"
fi`;
  return { start, finish };
}

/** A `run <n>` section -> the command's result; undefined when it has no exit code. */
export function parseRunSection(lines: string[]): RunResult | undefined {
  const out = lines.indexOf('stdout');
  const err = lines.indexOf('stderr');
  const code = Number(first(keyValues(lines.slice(0, out < 0 ? lines.length : out)), 'code'));
  if (out < 0 || err < out || !Number.isInteger(code)) return undefined;
  const decode = (part: string[]) => Buffer.from(part.join(''), 'base64').toString('utf8');
  return { code, stdout: decode(lines.slice(out + 1, err)), stderr: decode(lines.slice(err + 1)) };
}

export function factsExchange(t: Transport): FactsExchange {
  const riders: Rider[] = [];
  let sent = false;
  const transport: Transport = {
    host: t.host,
    run(command: string | string[], options: RunOptions = {}): Promise<RunResult> {
      if (sent || options.privileged === false || !canRide(options.stdin)) return t.run(command, options);
      return new Promise((resolve, reject) => riders.push({ command: toShell(command), options, resolve, reject }));
    },
    readFile: (path: string) => t.readFile(path),
    writeFile: (file: FileWrite) => t.writeFile(file),
    close: () => t.close(),
    ...(t.stream ? { stream: t.stream.bind(t) } : {}),
  };
  return {
    transport,
    async gather(managedPaths) {
      sent = true;
      const mine = riders.splice(0);
      let result: { facts: HostFacts; stdout: string };
      try {
        result = await runFactsScript(t, managedPaths, mine.length > 0 ? ridersScript(mine.map((r) => ({ command: r.command, stdin: r.options.stdin }))) : undefined);
      } catch (err) {
        // The facts failed, so the host is in doubt: the riders run on their own, and their callers decide.
        for (const r of mine) t.run(r.command, r.options).then(r.resolve, r.reject);
        throw err;
      }
      const runs = indexSections(splitSections(result.stdout).sections).all('run');
      mine.forEach((r, i) => {
        const got = runs.find((s) => s.arg === String(i));
        const res = got ? parseRunSection(got.lines) : undefined;
        if (res) r.resolve(res);
        else t.run(r.command, r.options).then(r.resolve, r.reject);
      });
      return result.facts;
    },
  };
}
