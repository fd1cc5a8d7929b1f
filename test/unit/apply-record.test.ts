// state.json and pending.json as apply reads them back: zod-checked shapes. A file of another shape counts as no
// history (or nothing pending), never as a half-read record; keys a newer version adds are kept.
import { describe, expect, it } from 'vitest';
import { parsePending, parseState, type Deployment } from '../../src/apply/record.js';

const file = { path: '/etc/redis/redis.conf', sha256: 'a'.repeat(64), backup: null, snapshot: '/var/backups/stackscale/d1/.deployed/etc/redis/redis.conf', service: 'redis', mode: 0o640, owner: 'redis', group: 'redis', secrets: ['redis_password'] };
const deployment: Deployment = { deployId: 'd1', time: '2026-01-01T00:00:00Z', profile: '300', toolVersion: '0.1.0', kind: 'apply', files: [file] as Deployment['files'] };

describe('parseState', () => {
  it('reads a record with its history, and keeps keys it does not know', () => {
    const text = JSON.stringify({ ...deployment, deployments: [deployment], originals: [], later: { x: 1 } });
    expect(parseState(text)).toEqual({ ...deployment, deployments: [deployment], originals: [], later: { x: 1 } });
  });

  it('takes a record without `deployments` as a history of one', () => {
    expect(parseState(JSON.stringify(deployment))).toEqual({ ...deployment, deployments: [deployment] });
  });

  it.each([
    ['not JSON', '{'],
    ['empty', ''],
    ['no deployId', JSON.stringify({ ...deployment, deployId: undefined })],
    ['files not a list', JSON.stringify({ ...deployment, files: {} })],
    ['a file mode as text', JSON.stringify({ ...deployment, files: [{ ...file, mode: '0640' }] })],
    ['an unknown kind', JSON.stringify({ ...deployment, kind: 'deploy' })],
    ['a history entry without files', JSON.stringify({ ...deployment, deployments: [{ ...deployment, files: undefined }] })],
  ])('counts %s as no history', (_, text) => {
    expect(parseState(text)).toBeUndefined();
  });
});

describe('parsePending', () => {
  it('reads the actions a cut run still owes', () => {
    const p = { deployId: 'd2', actions: [{ service: 'redis', kind: 'restart' }] };
    expect(parsePending(JSON.stringify(p))).toEqual(p);
  });

  it.each([
    ['not JSON', 'x'],
    ['no actions', JSON.stringify({ deployId: 'd2' })],
    ['an unknown action kind', JSON.stringify({ deployId: 'd2', actions: [{ service: 'redis', kind: 'explode' }] })],
  ])('counts %s as nothing pending', (_, text) => {
    expect(parsePending(text)).toBeUndefined();
  });
});
