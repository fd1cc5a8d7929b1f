// The human form of a status report: one block per host, one line per figure with its mark. Returns lines; the CLI
// writes them (and decides colour). The JSON form is the StatusReport itself.
import { EXIT } from '../errors.js';
import { formatLiveBytes } from '../config/size.js';
import type { Figure, StatusReport } from './types.js';
import type { Style } from '../util/style.js';

/** The colours used (plain functions when colour is off). */
export type Paint = Style;

export function formatStatus(report: StatusReport, s: Paint): string[] {
  const lines: string[] = [];
  for (const h of report.hosts) {
    const head = h.mark === 'ok' ? s.green('ok') : s.yellow('warn');
    lines.push(`${s.bold(`== ${h.host}`)}${s.dim(` (${h.roles.join(', ')})`)}  ${head}`);
    if (!h.reachable) {
      lines.push(s.red(`  ${h.error?.exitCode === EXIT.unreachable ? 'unreachable' : 'not read'}: ${h.error?.message ?? ''}`));
      continue;
    }
    for (const svc of h.services) {
      lines.push(`  ${s.cyan(svc.service)}`);
      if (!svc.answered) lines.push(`    ${s.red('down'.padEnd(5))} ${svc.error ?? ''}`);
      for (const f of svc.figures) {
        const mark = f.mark === 'ok' ? s.green('ok'.padEnd(5)) : s.yellow('warn'.padEnd(5));
        const note = f.note ? s.dim(`  ${f.note}`) : '';
        lines.push(`    ${mark} ${f.label.padEnd(24)} ${figureText(f)}${note}`);
      }
    }
  }
  for (const n of report.notes) lines.push(s.dim(`note: ${n}`));
  const m = report.summary;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(
    `status: ${plural(m.hosts, 'host')}, ${m.unreachable} not reached, ${plural(m.servicesDown, 'service')} down, ` +
      `${plural(m.warnings, 'warning')} (profile ${report.profile})`,
  );
  return lines;
}

/** `value / limit (profile N)`, each in the figure's unit; a 0 count limit (a counter that must stay 0) is not shown. */
export function figureText(f: Figure): string {
  const v = (x: Figure['value'] | undefined): string => {
    if (x === null || x === undefined) return '-';
    if (typeof x === 'boolean') return x ? 'yes' : 'no';
    if (typeof x === 'string') return x;
    if (f.unit === 'bytes') return formatLiveBytes(x);
    if (f.unit === 'ratio') return `${Math.round(x * 1000) / 10}%`;
    if (f.unit === 'seconds') return `${x} s`;
    if (f.unit === 'per-hour') return `${x}/h`;
    return String(x);
  };
  let text = v(f.value);
  if (f.limit !== undefined && !(f.limit === 0 && f.unit === 'count')) {
    text += f.limit === 0 ? ' / no limit' : f.unit === 'ratio' ? ` (target ${v(f.limit)})` : ` / ${v(f.limit)}`;
  }
  if (f.planned !== undefined && f.planned !== f.limit && f.planned !== f.value) text += ` (profile ${v(f.planned)})`;
  return text;
}
