// vitest globalSetup: start the default test hosts (h1, h2, h3) once per run, hand them to tests with
// provide('testHosts'), and always tear them down. See test/hosts/README.md.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { DEFAULT_HOSTS, startHosts, stopHosts } from './harness.js';
import type { TestHostsContext } from './context.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const skip = reasonNotToStart(project.config.root);
  let ctx: TestHostsContext;
  if (skip) {
    ctx = { hosts: [], error: skip };
  } else {
    const t0 = Date.now();
    try {
      const hosts = await startHosts(DEFAULT_HOSTS);
      ctx = { hosts };
      console.log(
        `[test hosts] ${hosts.map((h) => `${h.name}=${h.address}`).join(' ')} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (process.env.CI === 'true') {
        throw new Error(`[test hosts] could not start the test hosts, and CI=true: failing the run.\n${msg}`);
      }
      console.error(`[test hosts] could not start; every end-to-end test will fail with this reason:\n${msg}`);
      ctx = { hosts: [], error: msg };
    }
  }
  project.provide('testHosts', ctx);
  return async () => {
    await stopHosts();
  };
}

/**
 * Hosts start unless STACKSCALE_TEST_HOSTS=0, or the run's file filters (`vitest run test/unit ...`) select test
 * files and none of them is under test/e2e/ (so a unit-only run does not pay for them). Anything unclear: start.
 */
function reasonNotToStart(root: string): string | undefined {
  if (process.env.STACKSCALE_TEST_HOSTS === '0') return 'test hosts disabled by STACKSCALE_TEST_HOSTS=0';
  if (process.env.STACKSCALE_TEST_HOSTS === '1') return undefined;
  const argv = process.argv.slice(2);
  const cmdAt = argv.findIndex((a) => ['run', 'watch', 'dev'].includes(a));
  const words = argv.slice(cmdAt + 1).filter((a) => !a.startsWith('-'));
  if (words.length === 0) return undefined;
  let files: string[];
  try {
    files = (readdirSync(path.join(root, 'test'), { recursive: true }) as string[])
      .map((f) => `test/${f.split(path.sep).join('/')}`)
      .filter((f) => f.endsWith('.test.ts'));
  } catch {
    return undefined;
  }
  const matches = (f: string) => words.some((w) => f.includes(w.replace(/^\.\//, '')) || path.resolve(w) === path.resolve(root, f));
  const selected = files.filter(matches);
  if (selected.length === 0 || selected.some((f) => f.startsWith('test/e2e/'))) return undefined;
  return `test hosts not started: this run's file filters (${words.join(' ')}) select no test under test/e2e/`;
}
