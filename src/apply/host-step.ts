// What every stage of one host's deployment shares: how a step fails (StepFailure, `must`), how a failure is written
// into the host's result and progress (`fail`), and the timing health checks wait with.
import type { EngineOptions, HostResult } from './types.js';

export class StepFailure extends Error {
  constructor(readonly step: string, message: string, readonly output?: string) {
    super(message);
  }
}

/** How long and how health checks wait after a reload or restart. */
export interface HealthTiming {
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  timeoutMs: number;
}

export async function must(p: Promise<{ code: number; stderr: string }>, stepName: string, what: string): Promise<void> {
  const r = await p;
  if (r.code !== 0) throw new StepFailure(stepName, `could not ${what}: ${r.stderr.trim() || `exit ${r.code}`}`);
}

export function fail(result: HostResult, err: unknown, say: (s: string) => void, opts: EngineOptions, consequence: string): void {
  const f = err instanceof StepFailure ? err : new StepFailure('internal', err instanceof Error ? err.message : String(err));
  result.status = 'failed';
  result.error = { step: f.step, message: opts.mask(f.message), ...(f.output ? { output: opts.mask(f.output) } : {}) };
  result.steps.push({ step: f.step, ok: false, detail: opts.mask(f.message) });
  say(`FAILED at ${f.step}: ${opts.mask(f.message)}`);
  if (f.output) for (const l of opts.mask(f.output).split('\n')) say(`  | ${l}`);
  if (consequence) {
    result.notes.push(consequence);
    say(consequence);
  }
}

export function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean);
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
