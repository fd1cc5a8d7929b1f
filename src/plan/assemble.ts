// From a sized site, its rendered files and each host's facts to the plan: pure, so tests assert plans exactly.
import type { Site } from '../config/types.js';
import type { HostFacts } from '../facts/types.js';
import { renderSite } from '../render/render.js';
import { proxysqlAdminSql } from '../render/proxysql-admin.js';
import type { RenderedFile, SecretValues } from '../render/types.js';
import type { SiteSizing } from '../sizing/types.js';
import { maskSecrets, planHost, summarise } from './build.js';
import type { HostPlan, Plan, SqlStep } from './types.js';

export interface HostOutcome {
  host: string;
  facts?: HostFacts;
  error?: { message: string; exitCode: number };
}

export interface AssembledPlan {
  plan: Plan;
  /** The rendered files per host, with real secret values: for apply only, never printed. */
  files: Map<string, RenderedFile[]>;
  /** The SQL per host with real values: for apply only, never printed (the plan holds it masked). */
  sql: Map<string, SqlStep[]>;
}

export function assemblePlan(sizing: SiteSizing, site: Site, outcomes: HostOutcome[], secrets: SecretValues): AssembledPlan {
  const rendered = renderSite(sizing, site, secrets);
  const files = new Map<string, RenderedFile[]>();
  const sql = new Map<string, SqlStep[]>();
  const hosts: HostPlan[] = outcomes.map((o) => {
    const spec = site.hosts.find((h) => h.name === o.host);
    const roles = spec?.roles ?? [];
    if (!o.facts) return { host: o.host, roles, error: o.error, files: [], actions: [], sql: [] };
    const mine = rendered.filter((f) => f.host === o.host);
    files.set(o.host, mine);
    const steps = sqlFor(o.host, sizing, mine, o.facts, secrets);
    sql.set(o.host, steps);
    const masked = steps.map((st) => ({ ...st, statements: st.statements.map((x) => maskSecrets(x, secrets)) }));
    return planHost({ name: o.host, roles }, mine, o.facts, secrets, masked);
  });
  return { plan: summarise(sizing.profile.name, hosts), files, sql };
}

/** SQL a host would run, with real values. ProxySQL: its admin state, when its cnf changed or it runs already. */
function sqlFor(host: string, sizing: SiteSizing, files: RenderedFile[], facts: HostFacts, secrets: SecretValues): SqlStep[] {
  const steps: SqlStep[] = [];
  const hs = sizing.hosts.find((h) => h.host.name === host);
  const cnf = files.find((f) => f.service === 'proxysql');
  if (hs?.proxysql && cnf && facts.proxysql?.running && facts.files[cnf.path]?.content !== cnf.content) {
    steps.push({
      target: 'proxysql-admin',
      purpose: 'apply servers, users, query rules and variables at runtime, then save them to disk',
      statements: proxysqlAdminSql(hs.proxysql, secrets),
    });
  }
  return steps;
}
