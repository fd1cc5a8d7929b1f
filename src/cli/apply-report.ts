// How a deployment's result is shown, for apply and rollback alike: a summary on stderr (stdout without --json), and
// the result as one JSON document with --json; exit 0 or 1.
import { EXIT } from '../errors.js';
import type { ApplyResult } from '../apply/types.js';
import type { Plan } from '../plan/types.js';
import type { CommandContext } from './context.js';

export function reportDeployment(ctx: CommandContext, result: ApplyResult, verb: 'apply' | 'rollback', plan?: Plan): number {
  const { out } = ctx;
  const s = out.style;
  const line = (t: string): void => (out.json ? ctx.io.stderr(t + '\n') : out.line(t));
  line('');
  for (const h of result.hosts) {
    const status =
      h.status === 'applied' ? s.green('applied') : h.status === 'unchanged' ? s.dim('unchanged') : h.status === 'skipped' ? s.yellow('skipped') : s.red(h.status);
    const what = h.status === 'applied' ? ` ${h.changed.length} file(s)${h.actions.length ? `; ${h.actions.join(', ')}` : ''}` : '';
    line(`${h.host}: ${status}${what}`);
    if (h.error) {
      line(`  failed at ${h.error.step}: ${h.error.message}`);
      if (h.error.output) for (const l of h.error.output.split('\n')) line(`    ${l}`);
    }
    for (const n of h.notes) line(`  ${n}`);
  }
  for (const n of result.notes ?? []) line(n);
  // Files only: the packages a fresh host got from stackscale stay (removing them could take data with them).
  if (verb === 'rollback') line(s.dim('rollback restores files; packages stackscale installed are not removed'));
  const applied = result.hosts.filter((h) => h.status === 'applied').length;
  const failed = result.hosts.filter((h) => h.status === 'failed' || h.status === 'rolled-back').length;
  line(
    result.ok
      ? `${verb}: ${applied ? `deployment ${result.deployId} on ${applied} host(s)` : 'nothing to change'}, ${result.hosts.length - applied} unchanged`
      : s.red(`${verb} failed on ${failed} host(s); later stages were not touched`),
  );
  if (out.json) out.document({ ok: result.ok, deployId: result.deployId, verb, summary: plan?.summary, hosts: result.hosts, notes: result.notes ?? [] });
  return result.ok ? EXIT.ok : EXIT.error;
}
