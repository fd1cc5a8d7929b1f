// Status reads only the two secrets it uses, with config's own rules (env:NAME, file:PATH relative to the site file);
// a missing one is a note naming the variable (never a value), and the probe falls back to the host's config.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Site } from '../../src/config/types.js';
import { statusSecrets } from '../../src/status/secrets.js';
import { referenceSite } from '../fixtures/sizing.js';

describe('statusSecrets', () => {
  it('reads the Redis and ProxySQL admin passwords, needing none of the others', () => {
    const notes: string[] = [];
    const got = statusSecrets(referenceSite(), { REDIS_PASSWORD: 'r pw', PROXYSQL_ADMIN_PASSWORD: 'a pw' }, notes);
    expect(got).toEqual({ redisPassword: 'r pw', proxysqlAdminPassword: 'a pw' });
    expect(notes).toEqual([]);
  });

  it('an unset variable is a note naming it, not an error', () => {
    const notes: string[] = [];
    expect(statusSecrets(referenceSite(), { PROXYSQL_ADMIN_PASSWORD: 'a pw' }, notes)).toEqual({ redisPassword: undefined, proxysqlAdminPassword: 'a pw' });
    expect(notes).toEqual(["secrets.redis_password: environment variable REDIS_PASSWORD is not set; using the password in the host's own config"]);
  });

  it('file:PATH relative to the site file, one trailing newline dropped', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-status-secrets-'));
    writeFileSync(path.join(dir, 'redis.secret'), 'from file\n');
    const site: Site = { ...referenceSite(), file: path.join(dir, 'stackscale.yaml'), secrets: { redis_password: { kind: 'file', path: 'redis.secret' } } };
    expect(statusSecrets(site, {}, []).redisPassword).toBe('from file');
  });

  it('roles that do not need a secret are not asked for it', () => {
    const site: Site = { ...referenceSite(), hosts: referenceSite().hosts.filter((h) => h.roles.includes('db-primary')) };
    const notes: string[] = [];
    expect(statusSecrets(site, {}, notes)).toEqual({ redisPassword: undefined, proxysqlAdminPassword: undefined });
    expect(notes).toEqual([]);
  });
});
