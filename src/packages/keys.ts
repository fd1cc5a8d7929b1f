// Repository keys, read or downloaded on this machine (never by the host), with their fingerprints: the plan shows
// the fingerprint it would trust, apply sends these exact bytes to the host.
import { readFile } from 'node:fs/promises';
import { isArmoured, keyFingerprint } from './openpgp.js';
import type { RepoSource } from './repository.js';

export interface KeyMaterial {
  /** Where it came from (file path or URL). */
  from: string;
  data: Buffer;
  armoured: boolean;
  fingerprint: string;
}

export type KeyResult = KeyMaterial | { from: string; error: string };

const FETCH_TIMEOUT_MS = 10_000;

export async function loadKey(src: RepoSource): Promise<KeyResult> {
  const from = src.keyFile ?? src.keyUrl ?? '';
  let data: Buffer;
  try {
    if (src.keyFile) data = await readFile(src.keyFile);
    else {
      const res = await fetch(from, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!res.ok) return { from, error: `could not download the ${src.name} repository key from ${from}: HTTP ${res.status}` };
      data = Buffer.from(await res.arrayBuffer());
    }
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { from, error: `could not ${src.keyFile ? 'read' : 'download'} the ${src.name} repository key ${from}: ${why}` };
  }
  try {
    return { from, data, armoured: isArmoured(data), fingerprint: keyFingerprint(data) };
  } catch (err) {
    return { from, error: `the ${src.name} repository key ${from} is unusable: ${(err as Error).message}` };
  }
}
