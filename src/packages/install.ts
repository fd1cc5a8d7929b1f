// Installing a host's missing packages, before any of its configuration changes: the steps are data (argv arrays and
// file writes, Kamal's habit), so tests assert the exact commands, and one executor runs them over the transport.
//
// Order: the repositories' keys and sources; a policy-rc.d that keeps the packages from starting their services on
// their default configuration (ProxySQL would otherwise create its database from its stock cnf and ignore ours for
// good); `apt-get update` once; `apt-get install`; the policy removed; the services enabled at boot. Starting them is
// left to the deployment, once their files are in place. Any failure stops the host before a config file changes.
import type { HostFacts } from '../facts/types.js';
import type { InstallAction, StepRecordLike } from './types.js';
import type { Transport } from '../transport/types.js';
import type { KeyMaterial } from './keys.js';
import { keyringPath, recordedKeys, REPO_KEYS_FILE, sourcesLine, sourcesListPath, type RepoName } from './repository.js';

export const POLICY_RC_D = '/usr/sbin/policy-rc.d';
/** Exit status of the policy step when the host already has a policy-rc.d (then it is left alone). */
export const POLICY_EXISTED = 3;

export type InstallStep =
  | { kind: 'write'; what: string; path: string; content: string | Buffer; mode: number; removeOnFailure: boolean }
  | { kind: 'run'; what: 'policy' | 'update' | 'install' | 'unpolicy' | 'enable' | 'start'; argv: string[] };

const APT_ENV = ['env', 'DEBIAN_FRONTEND=noninteractive', 'NEEDRESTART_MODE=l'];

/** `apt-get` with the dpkg lock wait: apt waits up to `lockTimeoutS` for unattended-upgrades and the like. */
export function aptGet(lockTimeoutS: number, ...args: string[]): string[] {
  return [...APT_ENV, 'apt-get', '-q', '-o', `DPkg::Lock::Timeout=${Math.max(0, Math.floor(lockTimeoutS))}`, ...args];
}

export function installSteps(
  action: InstallAction,
  keys: Map<RepoName, KeyMaterial>,
  facts: HostFacts,
  opts: { lockTimeoutS: number; now: Date },
): InstallStep[] {
  const steps: InstallStep[] = [];
  const recorded: Record<string, unknown> = { ...recordedKeys(facts) };
  const policy: InstallStep = { kind: 'run', what: 'policy', argv: ['sh', '-c', `[ -e ${POLICY_RC_D} ] && exit ${POLICY_EXISTED}; printf '#!/bin/sh\\n# stackscale: no service starts while it installs\\nexit 101\\n' > ${POLICY_RC_D} && chmod 0755 ${POLICY_RC_D}`] };
  const install = (names: string[]): InstallStep => ({
    kind: 'run', what: 'install',
    argv: aptGet(opts.lockTimeoutS, '-y', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confold', 'install', ...names),
  });
  // apt reads an https repository only with the CA bundle; a minimal image lacks it, so it comes first, from the
  // distribution, before the repository is added (the one case with two apt-get updates).
  const caFirst = action.repositories.some((r) => r.url.startsWith('https:')) && action.packages.some((p) => p.name === 'ca-certificates');
  if (caFirst) {
    steps.push(policy, { kind: 'run', what: 'update', argv: aptGet(opts.lockTimeoutS, 'update') }, install(['ca-certificates']));
  }
  for (const r of action.repositories) {
    const key = keys.get(r.name as RepoName);
    if (!key) throw new Error(`install: no key loaded for the ${r.name} repository`);
    const keyring = keyringPath(r.name as RepoName, key.armoured);
    steps.push({ kind: 'write', what: `${r.name} repository key`, path: keyring, content: key.data, mode: 0o644, removeOnFailure: true });
    steps.push({
      kind: 'write', what: `${r.name} repository`, path: sourcesListPath(r.name as RepoName), content: sourcesLine(r, keyring), mode: 0o644, removeOnFailure: true,
    });
    recorded[r.name] = { fingerprint: r.keyFingerprint, url: r.url, accepted: opts.now.toISOString() };
  }
  if (!caFirst) steps.push(policy);
  steps.push({ kind: 'run', what: 'update', argv: aptGet(opts.lockTimeoutS, 'update') });
  steps.push(install(action.packages.map((p) => p.name).filter((n) => !(caFirst && n === 'ca-certificates'))));
  steps.push({ kind: 'run', what: 'unpolicy', argv: ['rm', '-f', POLICY_RC_D] });
  if (action.repositories.length) {
    steps.push({ kind: 'write', what: 'accepted repository keys', path: REPO_KEYS_FILE, content: JSON.stringify(recorded, null, 2) + '\n', mode: 0o644, removeOnFailure: false });
  }
  if (action.services.length) {
    if (facts.initSystem === 'systemd') steps.push({ kind: 'run', what: 'enable', argv: ['systemctl', 'enable', ...action.services] });
    else for (const s of action.services) steps.push({ kind: 'run', what: 'enable', argv: ['update-rc.d', s, 'defaults'] });
  }
  // nginx has no file of stackscale's yet (the web tier configures it): started here, on the package's own site.
  if (action.services.includes('nginx')) {
    steps.push({ kind: 'run', what: 'start', argv: facts.initSystem === 'systemd' ? ['systemctl', 'start', 'nginx'] : ['service', 'nginx', 'start'] });
  }
  return steps;
}

/** The last lines of apt's output that say what went wrong. */
export function aptTail(output: string, n = 8): string {
  const lines = output.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => /^(E:|W:|dpkg: error)/.test(l));
  return (errors.length ? errors : lines).slice(-n).join('\n');
}

/** apt-get update exits 0 when a source could not be fetched ("W: Failed to fetch"): that is a failure here. */
export function updateFailed(code: number, output: string): boolean {
  return code !== 0 || /^(E:|W: Failed to fetch|W: Some index files failed|W: GPG error|W: The repository .* is not signed)/m.test(output);
}

/** The package apt names in its error, or the dpkg lock it could not get. */
export function installFailure(output: string, packages: string[], lockTimeoutS: number): string {
  if (/Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock the administration directory/.test(output)) {
    const holder = /held by process (\d+) \(([^)]*)\)/.exec(output);
    return (
      `the dpkg lock is held by another process${holder ? ` (${holder[2]}, pid ${holder[1]})` : ''} and was not released within ` +
      `${lockTimeoutS} s: let it finish (a new VPS runs unattended-upgrades for minutes), or pass a longer --lock-timeout`
    );
  }
  const named =
    /Unable to locate package (\S+)/.exec(output)?.[1] ??
    /Package '?([^' ]+)'? has no installation candidate/.exec(output)?.[1] ??
    /dpkg: error processing package (\S+)/.exec(output)?.[1] ??
    /(\S+) : Depends:/.exec(output)?.[1];
  return named ? `apt could not install ${named}` : `apt could not install ${packages.join(', ')}`;
}

export interface InstallOutcome {
  ok: boolean;
  steps: StepRecordLike[];
  error?: { step: string; message: string; output?: string };
}

/** apt-get update does not wait for the package lists' lock (DPkg::Lock::Timeout covers dpkg's only): retried here. */
const LISTS_LOCK = /Could not get lock \/var\/lib\/apt\/lists\/lock|Unable to lock directory \/var\/lib\/apt\/lists/;

export async function runInstall(
  t: Transport,
  steps: InstallStep[],
  progress: (s: string) => void,
  clock: { sleep: (ms: number) => Promise<void>; now: () => number } = { sleep: (ms) => new Promise((r) => setTimeout(r, ms)), now: Date.now },
): Promise<InstallOutcome> {
  const done: StepRecordLike[] = [];
  const written: string[] = [];
  let policyOurs = false;
  const packages = steps.flatMap((s) => (s.kind === 'run' && s.what === 'install' ? s.argv.slice(s.argv.indexOf('install') + 1) : []));
  const lock = Number(/DPkg::Lock::Timeout=(\d+)/.exec(steps.map((s) => (s.kind === 'run' ? s.argv.join(' ') : '')).join(' '))?.[1] ?? 0);
  const failWith = async (step: string, message: string, output?: string): Promise<InstallOutcome> => {
    // Leave the host as it was: no half-added repository, no policy that would keep its services from starting.
    if (written.length) await t.run(['rm', '-f', ...written]).catch(() => undefined);
    if (policyOurs) await t.run(['rm', '-f', POLICY_RC_D]).catch(() => undefined);
    if (written.length || policyOurs) message += '; the repository files it had added were removed';
    done.push({ step, ok: false, detail: message });
    progress(`FAILED at ${step}: ${message}`);
    if (output) for (const l of output.split('\n')) progress(`  | ${l}`);
    return { ok: false, steps: done, error: { step, message, ...(output ? { output } : {}) } };
  };
  for (const s of steps) {
    if (s.kind === 'write') {
      const existed = s.removeOnFailure ? (await t.readFile(s.path)) !== null : true;
      await t.run(['mkdir', '-p', '-m', '0755', s.path.replace(/\/[^/]+$/, '')]);
      await t.writeFile({ path: s.path, content: s.content, mode: s.mode, owner: 'root', group: 'root' });
      if (!existed) written.push(s.path);
      done.push({ step: 'install', ok: true, detail: `${s.what}: ${s.path} written` });
      progress(`install: ${s.what} written to ${s.path}`);
      continue;
    }
    if (s.what === 'unpolicy') {
      if (policyOurs) await t.run(s.argv);
      policyOurs = false;
      continue;
    }
    let res = await t.run(s.argv, { timeoutMs: s.what === 'install' ? 30 * 60_000 : 10 * 60_000 });
    if (s.what === 'update') {
      const deadline = clock.now() + lock * 1000;
      while (LISTS_LOCK.test(`${res.stdout}\n${res.stderr}`) && clock.now() < deadline) {
        progress('install: the package lists are locked by another apt (unattended-upgrades?): waiting');
        await clock.sleep(2000);
        res = await t.run(s.argv, { timeoutMs: 10 * 60_000 });
      }
    }
    const out = `${res.stdout}\n${res.stderr}`;
    if (s.what === 'policy') {
      policyOurs = res.code === 0;
      continue;
    }
    if (s.what === 'update') {
      if (updateFailed(res.code, out)) {
        const lockHeld = /Could not get lock|Unable to lock directory/.test(out);
        const badSignature = /NO_PUBKEY|BADSIG|EXPKEYSIG|is not signed|signatures were invalid|signatures couldn't be verified/.test(out);
        const why = lockHeld
          ? installFailure(out, packages, lock)
          : badSignature
            ? "apt-get update refused a repository whose signature does not match the key it is trusted with (see apt's words below): nothing was installed"
            : 'apt-get update could not read every package source: nothing was installed';
        return failWith('install', why, aptTail(out));
      }
      done.push({ step: 'install', ok: true, detail: 'apt-get update' });
      progress('install: apt-get update done');
      continue;
    }
    if (s.what === 'install') {
      const names = s.argv.slice(s.argv.indexOf('install') + 1);
      if (res.code !== 0) return failWith('install', `${installFailure(out, names, lock)}: nothing was configured`, aptTail(out));
      done.push({ step: 'install', ok: true, detail: `installed ${names.join(' ')}` });
      progress(`install: installed ${names.join(' ')}`);
      continue;
    }
    if (res.code !== 0) return failWith('install', `${s.argv.join(' ')} exited ${res.code}`, out.trim().split('\n').slice(-5).join('\n'));
    done.push({ step: 'install', ok: true, detail: s.argv.join(' ') });
    progress(`install: ${s.argv.join(' ')}`);
  }
  return { ok: true, steps: done };
}
