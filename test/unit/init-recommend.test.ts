import { describe, expect, it } from 'vitest';
import { modelTrial, recommendProfile, siteFromAnswers, type SizingModel, type Trial } from '../../src/init/recommend.js';
import { InvalidInputError } from '../../src/errors.js';
import type { InitAnswers } from '../../src/init/answers.js';
import type { Profile } from '../../src/config/types.js';
import type { SiteSizing } from '../../src/sizing/types.js';

const GiB = 2 ** 30;

/** A toy model: a profile of N users needs N/100 GiB on every host. Enough to test the choice, not the model. */
function toyModel(): SizingModel {
  return {
    loadProfile: (name) => ({ name, workload: { concurrentUsers: Number(name) } }) as unknown as Profile,
    sizeSite: (site, profile) => ({ profile, hosts: site.hosts.map((host) => ({ host })), notes: [] }) as unknown as SiteSizing,
    checkSizing: (s) =>
      s.hosts
        .filter((h) => (h.host.size?.memory ?? 0) < (s.profile.workload.concurrentUsers / 100) * GiB)
        .map((h) => ({ where: h.host.name, message: `needs ${s.profile.workload.concurrentUsers / 100} GiB, has ${(h.host.size?.memory ?? 0) / GiB}` })),
  };
}

function answers(...memoryGiB: number[]): InitAnswers {
  return {
    profile: '1000',
    hosts: memoryGiB.map((m, i) => ({ name: `h${i + 1}`, address: `10.0.0.${i + 1}`, port: 22, user: 'root', roles: ['web'], size: { memory: m * GiB, cores: 4 } })),
    app: { database: 'app', dbUser: 'app' },
    secrets: { app_db_password: 'env:APP_DB_PASSWORD' },
  };
}

function recommend(...memoryGiB: number[]) {
  return recommendProfile(modelTrial(toyModel(), siteFromAnswers(answers(...memoryGiB)), '/tmp'));
}

describe('profile recommendation', () => {
  it.each([
    [[16], '1000', ['1000']],
    [[10], '1000', ['1000']],
    [[8], '700', ['1000', '700']],
    [[16, 4], '300', ['1000', '700', '300']],
    [[2, 2], undefined, ['1000', '700', '300']],
  ] as const)('hosts of %j GiB -> %s', (mem, profile, tried) => {
    const r = recommend(...mem);
    expect(r.profile).toBe(profile);
    expect(r.trials.map((t) => t.profile)).toEqual(tried);
    expect(r.trials.slice(0, -1).every((t) => !t.ok)).toBe(true);
  });

  it('keeps why the larger profiles were refused', () => {
    const r = recommend(8);
    expect(r.trials[0]).toEqual({ profile: '1000', ok: false, problems: [{ where: 'h1', message: 'needs 10 GiB, has 8' }] });
    expect(r.sizing?.profile.name).toBe('700');
  });

  it('a model that throws a user error (a refused host) counts as not fitting; a bug is not swallowed', () => {
    const refusing: SizingModel = {
      ...toyModel(),
      sizeSite: () => {
        throw new InvalidInputError({ where: 'h1', message: 'cannot hold the profile' });
      },
    };
    const site = siteFromAnswers(answers(16));
    expect(recommendProfile(modelTrial(refusing, site, '/tmp')).profile).toBeUndefined();
    const broken: SizingModel = { ...toyModel(), sizeSite: () => { throw new TypeError('bug'); } };
    expect(() => recommendProfile(modelTrial(broken, site, '/tmp'))).toThrow(TypeError);
  });

  it('stops at the first that fits', () => {
    const seen: string[] = [];
    const r = recommendProfile((p): Trial => {
      seen.push(p);
      return p === '1000' ? { profile: p, ok: false, problems: [] } : { profile: p, ok: true, sizing: {} as SiteSizing };
    });
    expect(r.profile).toBe('700');
    expect(seen).toEqual(['1000', '700']);
  });
});

describe('siteFromAnswers', () => {
  it('gives the Site loadSite would: private address = address, secret references parsed', () => {
    const a = answers(16);
    a.secrets = { redis_password: 'file:/run/secrets/redis', app_db_password: 'env:DB' };
    a.hosts[0].hostKey = 'SHA256:abc';
    expect(siteFromAnswers(a, '/x/stackscale.yaml')).toEqual({
      file: '/x/stackscale.yaml',
      profile: '1000',
      hosts: [
        { name: 'h1', address: '10.0.0.1', privateAddress: '10.0.0.1', port: 22, user: 'root', given: { port: true, user: true }, identity: undefined, hostKey: 'SHA256:abc', roles: ['web'], size: { memory: 16 * GiB, cores: 4 } },
      ],
      app: { database: 'app', dbUser: 'app' },
      secrets: { redis_password: { kind: 'file', path: '/run/secrets/redis' }, app_db_password: { kind: 'env', name: 'DB' } },
    });
  });
});
