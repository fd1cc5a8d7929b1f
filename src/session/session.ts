// The site session: what every command that reaches hosts walks through, once, in this order: load the inputs (site
// file, profile, --host), resolve the secrets, size on the site file (bad input exits 3 before any connection),
// connect and read each host's facts, size again on what the hosts really have; and close() at the end. Commands
// open one, call the step functions of plan/, apply/, status/ ... with it, and print.
import { EXIT, InvalidInputError, UserError } from '../errors.js';
import { resolveSecrets } from '../config/secrets.js';
import type { HostSpec, Profile, Site } from '../config/types.js';
import type { HostFacts } from '../facts/types.js';
import type { SecretValues } from '../config/types.js';
import type { HostResources, SiteSizing } from '../sizing/types.js';
import type { Transport } from '../transport/types.js';
import type { Collected } from './collect.js';
import { exposureWarnings, loadInputs, runInputProblems, sizeAndCheck, type Inputs, type InputsRequest } from './inputs.js';
import { makeConnector, type ReachOptions } from './connect.js';

export interface SessionRequest extends InputsRequest {
  env: NodeJS.ProcessEnv;
  ssh: Omit<ReachOptions, 'cwd' | 'env'>;
  /** Hosts worked on at once (--concurrency, default 10). */
  concurrency?: number;
  /** A progress line per host and step (none with --json where the command says so). */
  progress?: (host: string, step: string) => void;
}

export type Reached = Extract<Collected, { ok: true }>;

export class SiteSession {
  /** Every host of the run as connected, in the site's order; empty until connect(). */
  collected: Collected[] = [];
  /** The facts collector, loaded by the first connect() (so validate and render never load it). */
  private collector?: typeof import('./collect.js');

  private constructor(
    readonly inputs: Inputs,
    private readonly request: SessionRequest,
  ) {}

  /** Reads the site file and the profile (exit 3 on bad input); nothing is connected yet. */
  static open(request: SessionRequest, { requireSite = true }: { requireSite?: boolean } = {}): SiteSession {
    return new SiteSession(loadInputs(request, { requireSite }), request);
  }

  get site(): Site {
    return this.inputs.site;
  }

  get profile(): Profile {
    return this.inputs.profile;
  }

  get concurrency(): number {
    return Number(this.request.concurrency ?? 10);
  }

  /** The hosts of the run (all, or those named by --host), in the site's order. */
  hosts(): HostSpec[] {
    return this.inputs.site.hosts.filter((h) => this.inputs.only.includes(h.name));
  }

  /** What is allowed but probably not meant (public listeners, shared addresses, web without a database). */
  warnings(): string[] {
    return exposureWarnings(this.inputs.site);
  }

  /** Every secret the roles use and every SSH identity, or exit 3 with all the problems, before any connection. */
  requireSecrets(): SecretValues {
    const { secrets, problems } = runInputProblems(this.inputs, { env: this.request.env, cwd: this.request.cwd });
    if (problems.length > 0) throw new InvalidInputError(problems);
    return secrets;
  }

  /** Every secret the roles use, resolved (one unset or unreadable: exit 3). */
  secrets(): SecretValues {
    return resolveSecrets(this.inputs.site, this.request.env);
  }

  /** The secrets that can be resolved, for masking only: a run that does not write them (rollback) needs none. */
  availableSecrets(): SecretValues {
    try {
      return resolveSecrets(this.inputs.site, this.request.env);
    } catch {
      return {};
    }
  }

  /** The whole site sized on the site file's sizes (or the given resources) and cross-checked: exit 3 on a problem. */
  size(resources?: Map<string, HostResources>): SiteSizing {
    return sizeAndCheck(this.inputs, resources);
  }

  /**
   * Connect to the hosts of the run (or `hosts`) in parallel and read their facts. A host that cannot be reached is
   * kept with its error; `requireAllReached()` turns that into an error where the run needs every host.
   */
  async connect(
    options: {
      hosts?: HostSpec[];
      /** Read the app's config files too (plan, apply, validate --remote): default true. */
      appFiles?: boolean;
      /** Called once a host is connected, before its facts are read (plan starts daemon-state reads there). */
      connected?: (host: string, transport: Transport) => void;
    } = {},
  ): Promise<Collected[]> {
    const connector = await makeConnector({ ...this.request.ssh, cwd: this.request.cwd, env: this.request.env });
    this.collector ??= await import('./collect.js');
    const collected = await this.collector.collectFacts(options.hosts ?? this.hosts(), connector, {
      concurrency: this.concurrency,
      progress: this.request.progress,
      app: options.appFiles === false ? undefined : this.inputs.site.app,
      connected: options.connected,
    });
    this.collected.push(...collected);
    return collected;
  }

  /**
   * Every host of the run answered, or an error naming each that did not (exit 4 when one was unreachable, else 1);
   * the connections are closed first. `note` is added to each problem (e.g. that nothing was changed).
   */
  async requireAllReached(note?: string): Promise<Reached[]> {
    const failed = this.collected.filter((c): c is Extract<Collected, { ok: false }> => !c.ok);
    if (failed.length === 0) return this.collected as Reached[];
    const exitCode = failed.some((f) => f.error.exitCode === EXIT.unreachable) ? EXIT.unreachable : EXIT.error;
    if (note === undefined) throw new UserError(failed.flatMap((f) => f.error.problems), exitCode);
    await this.close();
    throw new UserError(
      failed.flatMap((f) => f.error.problems.map((p) => ({ ...p, where: p.where ?? f.host.name, message: `${p.message}; ${note}` }))),
      exitCode,
    );
  }

  /** What sizing needs of each host that answered; with the site, a host without PHP or a database yet gets the site's. */
  resources({ fromSite = true }: { fromSite?: boolean } = {}): Map<string, HostResources> {
    if (!this.collector) return new Map();
    return this.collector.reachedResources(this.collected, fromSite ? this.inputs.site : undefined);
  }

  /** The site sized again on the hosts' live facts (their real memory and cores): exit 3 on a problem. */
  sizeOnFacts(): SiteSizing {
    return sizeAndCheck(this.inputs, this.resources());
  }

  /** The hosts that answered, by name, with their transport and facts. */
  reachable(): Map<string, { transport: Transport; facts: HostFacts }> {
    return new Map(this.reached().map((c) => [c.host.name, { transport: c.transport, facts: c.facts }] as const));
  }

  /** The hosts that answered, with their roles and facts. */
  reachedHosts(): { roles: HostSpec['roles']; facts: HostFacts }[] {
    return this.reached().map((c) => ({ roles: c.host.roles, facts: c.facts }));
  }

  /** The hosts that answered. */
  reached(): Reached[] {
    return this.collected.flatMap((c) => (c.ok ? [c] : []));
  }

  /** Closes every connection (idempotent). */
  async close(): Promise<void> {
    const all = this.reached();
    this.collected = [];
    await Promise.all(all.map((c) => c.transport.close().catch(() => undefined)));
  }
}
