// The alert rules file on the monitor host: /etc/prometheus/rules/stackscale.yml, from the derived rules.
import type { Site } from '../config/types.js';
import { deriveAlertRules, describeRule, ruleExpr, type AlertRule } from '../monitor/rules.js';
import type { HostSizing, SiteSizing } from '../sizing/types.js';
import { commentText } from './quote.js';
import { renderTemplate } from './templates.js';
import type { RenderedFile } from './types.js';
import { PROMETHEUS_RULES_PATH } from '../monitor/paths.js';


/** A YAML double-quoted scalar: JSON strings are valid YAML, and escape every character YAML would read otherwise. */
const yamlString = (s: string): string => JSON.stringify(s);

/** The rules file's text for a rule set (also what the promtool unit tests load). */
export function rulesFileText(profile: string, rules: AlertRule[]): string {
  const groups = ['web', 'db', 'cache', 'proxysql', 'host']
    .map((g) => ({ name: `stackscale-${g}`, rules: rules.filter((r) => r.group === g) }))
    .filter((g) => g.rules.length > 0)
    .map((g) => ({
      name: g.name,
      rules: g.rules.map((r) => ({
        why: commentText(describeRule(r)),
        alert: r.alert,
        expr: yamlString(ruleExpr(r)),
        for: r.for,
        // A per-host rule names its host: the threshold is that host's, and promtool refuses two rules alike.
        labels: [{ name: 'severity', value: r.severity }, ...(r.host ? [{ name: 'host', value: yamlString(r.host) }] : [])],
        summary: yamlString(r.summary),
        threshold: yamlString(r.op === ">=" ? `${r.shown} or more` : r.shown),
      })),
    }));
  return renderTemplate('prometheus-rules.yml', {
    profile: commentText(profile),
    groups,
  });
}

export function renderPrometheusRules(h: HostSizing, sizing: SiteSizing, site: Site): RenderedFile {
  const content = rulesFileText(sizing.profile.name, deriveAlertRules(sizing, site));
  return { host: h.host.name, path: PROMETHEUS_RULES_PATH, content, mode: 0o644, owner: 'root', group: 'root', service: 'prometheus', secrets: [] };
}
