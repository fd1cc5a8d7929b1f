import { describe, expect, it } from 'vitest';
import { parseSite } from '../../src/config/site.js';
import { formatSize, renderSiteFile } from '../../src/init/site-file.js';
import { siteFromAnswers } from '../../src/init/recommend.js';
import type { InitAnswers } from '../../src/init/answers.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const FP = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';

const allInOne: InitAnswers = {
  profile: '700',
  hosts: [
    { name: 'vps1', address: '203.0.113.10', port: 22, user: 'root', identity: '~/.ssh/id_ed25519', hostKey: FP, roles: ['web', 'cache', 'proxysql', 'db-primary'], size: { memory: 15988 * MiB, cores: 8 } },
  ],
  app: { database: 'restro', dbUser: 'restro' },
  secrets: {
    redis_password: 'env:REDIS_PASSWORD',
    app_db_password: 'file:/run/secrets/app db',
    proxysql_admin_password: 'env:PROXYSQL_ADMIN_PASSWORD',
    proxysql_monitor_password: 'env:PROXYSQL_MONITOR_PASSWORD',
  },
};

const fourHosts: InitAnswers = {
  profile: './profiles/my profile.yaml',
  hosts: [
    { name: 'web1', address: 'web1.example.com', port: 2222, user: 'deploy', roles: ['web'] },
    { name: 'proxy1', address: '10.0.0.20', port: 22, user: 'deploy', identity: '/keys/#odd: name', roles: ['proxysql', 'cache'], size: { memory: 4 * GiB, cores: 2 } },
    { name: 'db1', address: '10.0.0.31', port: 22, user: 'root', roles: ['db-primary'] },
    { name: 'db2', address: '2001:db8::32', port: 22, user: 'root', privateAddress: 'fd00::32', roles: ['db-replica'] },
  ],
  app: { database: 'restro', dbUser: 'restro-app' },
  secrets: { redis_password: 'env:R', app_db_password: 'env:A', replication_password: 'env:REPL', proxysql_admin_password: 'env:PA', proxysql_monitor_password: 'env:PM' },
};

describe('the site file init writes', () => {
  it.each([['all-in-one', allInOne], ['four hosts, odd values', fourHosts]])('%s: loads back as exactly the answers', (_n, answers) => {
    const text = renderSiteFile(answers, { date: '2025-01-01' });
    const site = parseSite(text, '/srv/app/stackscale.yaml');
    expect(site).toEqual(siteFromAnswers(answers, '/srv/app/stackscale.yaml'));
  });

  it('is commented for a newcomer, and holds references, never values', () => {
    const text = renderSiteFile(allInOne, { date: '2025-01-01', profileNote: 'recommended by init' });
    expect(text).toContain('# stackscale site file, written by `stackscale init` on 2025-01-01.');
    expect(text).toMatch(/^profile: 700 +# recommended by init$/m);
    expect(text).toMatch(/^ {4}host_key: SHA256:\S+ +# pinned: checked instead of known_hosts$/m);
    expect(text).toMatch(/^ {4}size: \{memory: 15988M, cores: 8\} +# /m);
    expect(text).toMatch(/^# Where each secret comes from: env:NAME .* Never the secret itself\.$/m);
    expect(text).toMatch(/^ {2}redis_password: env:REDIS_PASSWORD +# Redis requirepass$/m);
  });

  it('a host without identity says the agent is used, and leaves the key commented out', () => {
    const text = renderSiteFile(fourHosts, { date: '2025-01-01' });
    expect(text).toContain("    # identity: ~/.ssh/id_ed25519    # none given: the SSH agent's keys are used");
  });

  it.each([
    [16 * GiB, '16G'],
    [15988 * MiB, '15988M'],
    [15988 * MiB + 123, '15988M'],
  ])('size %d -> %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
});
