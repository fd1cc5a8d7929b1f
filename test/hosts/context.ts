// What end-to-end tests use: the hosts the vitest globalSetup started (test/hosts/global-setup.ts).
import { inject } from 'vitest';
import type { TestHost } from './harness.js';

export type { TestHost, HostSpec, Service } from './harness.js';

/** Provided to every test file under the key `testHosts`. */
export interface TestHostsContext {
  /** The default set (h1, h2, h3), ready; empty when they could not be started. */
  hosts: TestHost[];
  /** Why there are no hosts (not root, a package missing, a start that failed, disabled), else undefined. */
  error?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testHosts: TestHostsContext;
  }
}

/** The default hosts; throws (so the calling test fails, never skips) with the reason when there are none. */
export function testHosts(): TestHost[] {
  const ctx = inject('testHosts');
  if (!ctx || ctx.hosts.length === 0) {
    throw new Error(
      `no test hosts: ${ctx?.error ?? 'the globalSetup test/hosts/global-setup.ts did not run (is it in vitest.config.ts?)'}`,
    );
  }
  return ctx.hosts;
}

/** One of the default hosts by name (h1, h2, h3). */
export function testHost(name: string): TestHost {
  const host = testHosts().find((h) => h.name === name);
  if (!host) throw new Error(`no test host named ${name}; have ${testHosts().map((h) => h.name).join(', ')}`);
  return host;
}
