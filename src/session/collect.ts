// Connect to every host in parallel (bounded) and gather its facts. A host that cannot be reached is reported with
// its error while the others go on: one dead VPS must not hide the plan of the rest.
import type { HostSpec, Site } from '../config/types.js';
import { UserError, EXIT } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { factsExchange } from '../facts/exchange.js';
import { resourcesFromFacts } from '../facts/gather.js';
import type { HostResources } from '../sizing/types.js';
import type { Transport } from '../transport/types.js';
import { mapLimit } from '../util/limit.js';
import { timed } from '../util/timing.js';
import { candidatePaths } from '../render/paths.js';

export type Connector = (host: HostSpec) => Promise<Transport>;

/** A host that answered: its place in the site file, its connection and its facts. */
export interface ReachedHost {
  host: HostSpec;
  transport: Transport;
  facts: HostFacts;
}

export type Collected = (ReachedHost & { ok: true }) | { host: HostSpec; ok: false; error: UserError };

export async function collectFacts(
  hosts: HostSpec[],
  connect: Connector,
  {
    concurrency,
    progress,
    app,
    connected,
  }: {
    concurrency: number;
    progress?: (host: string, step: string) => void;
    app?: Site['app'];
    /** Called once a host is connected, before its facts are read (plan starts daemon-state reads there: early.ts). */
    connected?: (host: string, transport: Transport) => void;
  },
): Promise<Collected[]> {
  return mapLimit(hosts, concurrency, async (host): Promise<Collected> => {
    let transport: Transport | undefined;
    try {
      progress?.(host.name, 'connecting');
      transport = await timed('connect', () => connect(host));
      progress?.(host.name, 'reading facts');
      // Reads started on `connected` ride in the facts script: one exchange with the host (facts/exchange.ts).
      const exchange = factsExchange(transport);
      connected?.(host.name, exchange.transport);
      const facts = await timed('facts', () => exchange.gather(candidatePaths(host.roles, app)));
      return { host, ok: true, transport, facts };
    } catch (err) {
      await transport?.close().catch(() => undefined);
      if (err instanceof UserError) return { host, ok: false, error: err };
      const message = err instanceof Error ? err.message : String(err);
      return { host, ok: false, error: new UserError({ where: host.name, message }, EXIT.error) };
    }
  });
}

export async function closeAll(collected: Collected[]): Promise<void> {
  await Promise.all(collected.map((c) => (c.ok ? c.transport.close().catch(() => undefined) : undefined)));
}

/** The hosts that answered, by name, with their transport and facts. */
export function reachable(collected: Collected[]): Map<string, { transport: Transport; facts: HostFacts }> {
  return new Map(collected.flatMap((c) => (c.ok ? [[c.host.name, { transport: c.transport, facts: c.facts }] as const] : [])));
}

/** What sizing needs of each host that answered, from its facts. */
export function reachedResources(collected: Collected[], site?: Pick<Site, 'phpVersion' | 'database'>): Map<string, HostResources> {
  const resources = new Map<string, HostResources>();
  for (const c of collected) if (c.ok) resources.set(c.host.name, resourcesFromFacts(c.facts, site));
  return resources;
}

/** The hosts that answered, with their roles and facts (what planning the installs reads). */
export function reachedHosts(collected: Collected[]): { roles: HostSpec['roles']; facts: HostFacts }[] {
  return collected.flatMap((c) => (c.ok ? [{ roles: c.host.roles, facts: c.facts }] : []));
}
