// The human form of a plan. The JSON form is the Plan itself.
import type { Plan } from '../plan/types.js';
import type { Reporter } from './io.js';

export function printPlan(plan: Plan, out: Reporter): void {
  const s = out.style;
  for (const host of plan.hosts) {
    out.line(s.bold(`== ${host.host}`) + s.dim(` (${host.roles.join(', ')})`));
    if (host.error) {
      out.line(s.red(`  unreachable: ${host.error.message}`));
      continue;
    }
    for (const f of host.files) {
      const status = f.status === 'new' ? s.green('new') : f.status === 'changed' ? s.yellow('changed') : s.dim('unchanged');
      const extras = [
        f.drift ? s.red('drift: edited on the host since the last deployment') : '',
        f.metaChanged ? `mode/owner -> ${f.mode.toString(8).padStart(4, '0')} ${f.owner}:${f.group}` : '',
        f.secrets.length > 0 && f.status !== 'unchanged' ? s.dim('holds secrets: content not shown') : '',
      ].filter(Boolean);
      out.line(`  ${status.padEnd(9)} ${f.path}${extras.length ? '  ' + extras.join('; ') : ''}`);
      if (f.diff) for (const l of colourDiff(f.diff, out)) out.line(`    ${l}`);
    }
    for (const d of (host.dirs ?? []).filter((x) => x.status !== 'unchanged')) {
      const mode = d.mode.toString(8).padStart(4, '0');
      const what = d.status === 'new' ? `${s.green('mkdir')}    ${d.path}` : `${s.yellow('fix dir')}  ${d.path}`;
      out.line(`  ${what}  ${mode} ${d.owner}:${d.group} (${d.why})`);
    }
    for (const a of host.actions) {
      out.line(`  ${s.cyan(a.kind.padEnd(8))} ${a.service}: ${a.why}`);
      for (const st of a.settings ?? []) out.line(`           ${st.name} = ${st.value}`);
    }
    for (const step of host.sql) {
      out.line(`  ${s.cyan('sql')}      ${step.target}: ${step.purpose}`);
      for (const st of step.statements) out.line(`           ${st}`);
    }
  }
  const m = plan.summary;
  out.line(
    `plan: ${m.hosts} host${m.hosts === 1 ? '' : 's'}, ${m.newFiles} new, ${m.changedFiles} changed, ${m.unchangedFiles} unchanged files` +
      `${m.drifted ? `, ${m.drifted} drifted` : ''}, ${m.actions} service action${m.actions === 1 ? '' : 's'}` +
      `${m.failedHosts ? `, ${m.failedHosts} host${m.failedHosts === 1 ? '' : 's'} not reached` : ''}`,
  );
}

function colourDiff(diff: string, out: Reporter): string[] {
  const s = out.style;
  return diff
    .split('\n')
    .filter((l, i) => !(i === 0 && l.startsWith('====')) && l !== '')
    .map((l) => (l.startsWith('+') && !l.startsWith('+++') ? s.green(l) : l.startsWith('-') && !l.startsWith('---') ? s.red(l) : l.startsWith('@@') ? s.cyan(l) : l));
}
