// The questions of `stackscale init`, in order: layout, hosts, (probe), profile, app, secrets. Pure of I/O except
// through what it is given: a Prompter (scripted in tests), a line printer, and the probe functions.
import type { Role } from '../config/types.js';
import { isPrivateAddress } from '../config/listen.js';
import { DEFAULT_SECRET_ENV, ROLES } from '../config/types.js';
import { SSH_USER } from '../config/schema.js';
import type { Prompter } from '../util/prompter.js';
import type { Style } from '../util/style.js';
import { UserError, formatProblem } from '../errors.js';
import {
  SECRET_PURPOSE,
  checkAddress,
  checkHostName,
  checkDatabase,
  checkDbUser,
  checkPort,
  checkSecretRef,
  secretsFor,
  type HostAnswer,
  type InitAnswers,
} from './answers.js';
import { LAYOUTS, layout, matchLayout, type LayoutHost, type LayoutId } from './layouts.js';
import { SHIPPED_PROFILES, modelTrial, recommendProfile, siteFromAnswers, type Recommendation, type SizingModel } from './recommend.js';
import type { PresentedKey, ProbeOptions, ProbedSize } from './probe.js';
import { gib, sizingSummary } from './summary.js';
import { formatSize } from './site-file.js';

export interface Prober {
  readHostKey(host: Pick<HostAnswer, 'name' | 'address' | 'port'>, options: ProbeOptions): Promise<PresentedKey>;
  probeSize(host: HostAnswer, fingerprint: string, options: ProbeOptions): Promise<ProbedSize>;
}

export interface WizardDeps {
  ask: Prompter;
  say: (line: string) => void;
  style: Style;
  model: SizingModel;
  prober: Prober;
  probeOptions: ProbeOptions;
  /** Where a profile path is resolved from (the site file's directory). */
  baseDir: string;
  parseSize: (text: string) => number | undefined;
}

export interface WizardResult {
  answers: InitAnswers;
  recommendation?: Recommendation;
}

const PROFILE_USERS: Record<string, string> = { '300': '~300 users', '700': '500-700 users', '1000': '1000+ users' };

export async function runWizard(deps: WizardDeps, defaults?: InitAnswers): Promise<WizardResult> {
  const { ask, say, style } = deps;
  const hostsLayout = await chooseLayout(deps, defaults);
  const hosts: HostAnswer[] = [];
  for (const [i, slot] of hostsLayout.entries()) {
    hosts.push(await askHost(deps, slot, defaults?.hosts[i], hosts, hostsLayout.length > 1));
  }

  const sized = await sizeHosts(deps, hosts, defaults);
  let recommendation: Recommendation | undefined;
  if (sized) {
    const draft: InitAnswers = { profile: '1000', hosts, app: { database: 'app', dbUser: 'app' }, secrets: {} };
    recommendation = recommendProfile(modelTrial(deps.model, siteFromAnswers(draft), deps.baseDir));
    showRecommendation(deps, recommendation);
  } else {
    say(style.dim('No recommendation without every host\'s memory and cores; `stackscale profiles show P --memory M --cores C` shows what a profile needs.'));
  }

  const profile = await askProfile(deps, recommendation, defaults?.profile);
  const database = await ask.input({ message: 'App database name', default: defaults?.app.database ?? 'app', validate: checkDatabase });
  const dbUser = await ask.input({ message: 'App database user', default: defaults?.app.dbUser ?? database, validate: checkDbUser });

  say('');
  say('Secrets are never written into the site file: give the environment variable (env:NAME) or file (file:PATH) holding each.');
  const secrets: InitAnswers['secrets'] = {};
  for (const key of secretsFor(hosts.flatMap((h) => h.roles))) {
    const answer = await ask.input({
      message: `${key} (${SECRET_PURPOSE[key]}) comes from`,
      default: defaults?.secrets[key] ?? `env:${DEFAULT_SECRET_ENV[key]}`,
      validate: checkSecretRef,
    });
    secrets[key] = answer.trim();
  }
  return { answers: { profile, hosts, app: { database, dbUser }, secrets }, recommendation };
}

async function chooseLayout(deps: WizardDeps, defaults?: InitAnswers): Promise<LayoutHost[]> {
  const current = defaults ? matchLayout(defaults.hosts.map((h) => h.roles)) : 'all-in-one';
  const id = await deps.ask.select<LayoutId>({
    message: 'How are the roles spread over your hosts?',
    choices: LAYOUTS.map((l) => ({ value: l.id, name: l.title, description: l.description })),
    default: current,
  });
  if (id !== 'custom') return layout(id).hosts;

  const countText = await deps.ask.input({
    message: 'How many hosts?',
    default: String(defaults?.hosts.length ?? 1),
    validate: (v) => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 50 ? true : 'a whole number from 1 to 50'),
  });
  const slots: LayoutHost[] = [];
  for (let i = 0; i < Number(countText); i++) slots.push({ name: defaults?.hosts[i]?.name ?? `host${i + 1}`, roles: [] });
  return slots;
}

async function askHost(deps: WizardDeps, slot: LayoutHost, previous: HostAnswer | undefined, earlier: HostAnswer[], multi: boolean): Promise<HostAnswer> {
  const { ask, say, style } = deps;
  say('');
  say(style.bold(`Host ${earlier.length + 1}`) + (slot.roles.length ? style.dim(` (${slot.roles.join(', ')})`) : ''));
  const name = await ask.input({
    message: 'Name (used in the site file and in every message)',
    default: previous?.name ?? slot.name,
    validate: (v) => {
      const ok = checkHostName(v);
      if (ok !== true) return ok;
      return earlier.some((h) => h.name === v) ? `"${v}" is already taken` : true;
    },
  });
  const address = (await ask.input({ message: `Address of ${name} (IP or DNS name SSH connects to)`, default: previous?.address, validate: checkAddress })).trim();
  const port = Number(await ask.input({ message: 'SSH port', default: String(previous?.port ?? 22), validate: checkPort }));
  const user = await ask.input({
    message: 'SSH user (root, or a user with sudo)',
    default: previous?.user ?? 'root',
    validate: (v) => (SSH_USER.test(v) ? true : 'a user name'),
  });
  const identity = (
    await ask.input({ message: "SSH private key file (empty: use the SSH agent's keys)", default: previous?.identity ?? '' })
  ).trim();
  let roles: Role[] = slot.roles;
  if (roles.length === 0) {
    roles = await ask.checkbox<Role>({
      message: `Roles of ${name}`,
      choices: ROLES.map((r) => ({ value: r, name: r, checked: previous?.roles.includes(r) ?? false })),
      required: true,
    });
  }
  const host: HostAnswer = { name, address, port, user, roles: [...roles] };
  if (identity) host.identity = identity;
  // Services the other hosts use bind to the private address; a public one is refused unless the site says so.
  // One host alone binds everything to loopback, so it is asked only in a site of several hosts.
  if (multi && !isPrivateAddress(address)) {
    const priv = (
      await ask.input({
        message: `Private address of ${name} (what the site's other hosts reach it on; empty: none)`,
        default: previous?.privateAddress ?? '',
        validate: (v) => (v.trim() === '' ? true : checkAddress(v)),
      })
    ).trim();
    if (priv) host.privateAddress = priv;
  }
  // A pinned key or size only carries over when the host is still the same machine.
  if (previous && previous.address === address && previous.port === port) {
    if (previous.hostKey) host.hostKey = previous.hostKey;
    if (previous.size) host.size = previous.size;
  }
  return host;
}

/** Probe (or ask for) each host's memory and cores. True when every host ends up with a size. */
async function sizeHosts(deps: WizardDeps, hosts: HostAnswer[], defaults?: InitAnswers): Promise<boolean> {
  const { ask, say, style } = deps;
  say('');
  const probe = await ask.confirm({
    message: 'Connect to the hosts now to read their memory and cores? (read only; you confirm each host key)',
    default: true,
  });
  for (const h of hosts) {
    if (probe) {
      try {
        if (await probeOne(deps, h)) continue;
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        for (const p of err.problems) say(style.red(`${h.name}: ${formatProblem({ ...p, where: undefined })}`));
      }
    }
    if (h.size && defaults) {
      say(`${h.name}: ${gib(h.size.memory)}, ${h.size.cores} cores (from the existing site file)`);
      continue;
    }
    await askSize(deps, h);
  }
  return hosts.every((h) => h.size !== undefined);
}

async function probeOne(deps: WizardDeps, h: HostAnswer): Promise<boolean> {
  const { ask, say, style } = deps;
  say(`${h.name}: connecting to ${h.address}:${h.port} for its host key`);
  const key = await deps.prober.readHostKey(h, deps.probeOptions);
  say(`${h.name} presents ${key.type} key ${style.bold(key.fingerprint)}`);
  if (h.hostKey && h.hostKey !== key.fingerprint) {
    say(style.red(`  this is NOT the host_key ${h.hostKey} the existing site file pins: the host was reinstalled, or someone is in between`));
  } else if (h.hostKey) say('  it matches the host_key the existing site file pins');
  if (key.knownHosts === 'known') say('  it matches your known_hosts');
  else if (key.warning) say(style.red(`  ${key.warning}`));
  else say(style.dim('  not in your known_hosts: compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on the host'));
  const trusted = await ask.confirm({
    message: `Trust this key for ${h.name} and pin it in the site file?`,
    default: key.knownHosts === 'known' || h.hostKey === key.fingerprint,
  });
  if (!trusted) {
    say(`${h.name}: key not trusted; not logging in`);
    delete h.hostKey;
    return false;
  }
  h.hostKey = key.fingerprint;
  say(`${h.name}: logging in as ${h.user} to read memory and cores`);
  const size = await deps.prober.probeSize(h, key.fingerprint, deps.probeOptions);
  // Kept as the file will write it (whole MiB), so the recommendation is made on exactly what validate will see.
  h.size = { memory: deps.parseSize(formatSize(size.memory)) as number, cores: size.cores };
  say(`${h.name}: ${gib(size.memory)}, ${size.cores} cores${size.os ? `, ${size.os}` : ''}`);
  return true;
}

async function askSize(deps: WizardDeps, h: HostAnswer): Promise<void> {
  const memoryText = (
    await deps.ask.input({
      message: `Memory of ${h.name} (e.g. 16G; empty: leave it out)`,
      default: h.size ? formatSize(h.size.memory) : '',
      validate: (v) => (v.trim() === '' || deps.parseSize(v.trim()) !== undefined ? true : 'a size like 8G, 16GiB or 512M'),
    })
  ).trim();
  if (!memoryText) {
    delete h.size;
    return;
  }
  const cores = await deps.ask.input({
    message: `Cores of ${h.name}`,
    default: String(h.size?.cores ?? 2),
    validate: (v) => (/^\d+$/.test(v) && Number(v) >= 1 ? true : 'a whole number of at least 1'),
  });
  h.size = { memory: deps.parseSize(memoryText) as number, cores: Number(cores) };
}

function showRecommendation(deps: WizardDeps, rec: Recommendation): void {
  const { say, style } = deps;
  say('');
  for (const t of rec.trials) {
    if (!t.ok) say(style.dim(`profile ${t.profile} does not fit: ${t.problems[0]?.message ?? 'refused'}${t.problems.length > 1 ? ` (and ${t.problems.length - 1} more)` : ''}`));
  }
  if (!rec.profile || !rec.sizing) {
    say(style.yellow('Not even the 300 profile fits these hosts: more memory, or the roles spread over more hosts, is the way out.'));
    return;
  }
  say(`Recommended profile: ${style.bold(rec.profile)} (${PROFILE_USERS[rec.profile] ?? ''}), the largest shipped profile that fits. It sizes:`);
  for (const l of sizingSummary(rec.sizing)) say(l);
  say(style.dim(`Every value with its derivation: stackscale profiles show ${rec.profile}`));
}

async function askProfile(deps: WizardDeps, rec: Recommendation | undefined, previous: string | undefined): Promise<string> {
  const fits = new Map(rec?.trials.map((t) => [t.profile, t.ok]) ?? []);
  const choices = SHIPPED_PROFILES.map((p) => ({
    value: p as string,
    name: `${p}${rec?.profile === p ? ' (recommended)' : ''}`,
    description: `${PROFILE_USERS[p]}${fits.get(p) === false ? '; does not fit these hosts' : ''}`,
  }));
  choices.push({ value: 'file', name: 'a profile file of my own', description: 'a YAML file in the format of profiles/*.yaml' });
  const isShipped = previous !== undefined && (SHIPPED_PROFILES as readonly string[]).includes(previous);
  // The existing file's choice stays the default while it still fits; otherwise the recommendation.
  const kept = previous === undefined ? undefined : isShipped ? (fits.get(previous) === false ? undefined : previous) : 'file';
  const choice = await deps.ask.select({
    message: 'Capacity profile',
    choices,
    default: kept ?? rec?.profile ?? '1000',
  });
  if (choice !== 'file') return choice;
  return (
    await deps.ask.input({ message: 'Profile file (relative to the site file)', default: isShipped ? undefined : previous, validate: (v) => (v.trim() ? true : 'a path') })
  ).trim();
}
