import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Real VPS-like hosts (h1, h2, h3) for the end-to-end tests, started once per run: test/hosts/README.md.
    globalSetup: ['test/hosts/global-setup.ts'],
    // The JSON report is what .ci/run counts from; the default reporter is for people.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
