// What a load test run is given and what it measures. The engine fills a RunResult; the sampler a list of SiteSamples;
// verdicts.ts turns both, with the profile, into the LoadtestReport that `--json` prints (docs/schemas/loadtest.schema.json).
import type { PathSpec } from './paths.js';
import type { RampStage } from './schedule.js';

export const LOADTEST_SCHEMA = 'stackscale.loadtest/1';

export interface LoadPlan {
  /** Base URLs (scheme, host, port); virtual user i sends to targets[i % targets.length]. */
  targets: string[];
  /** Users when there is no ramp; with a ramp, its last stage is held after it. */
  users: number;
  thinkSeconds: number;
  durationSeconds: number;
  ramp: RampStage[];
  paths: PathSpec[];
  /** Hard cap: no request is scheduled after this many. */
  maxRequests: number;
  /** Hard cap on requests in flight (each holds a connection); a request over it waits, and its latency shows it. */
  maxConnections: number;
  /** A request not answered this long after it was sent is a `timeout`. */
  timeoutMs: number;
  /** Seconds per point of the time series. */
  intervalSeconds: number;
}

export const ERROR_KINDS = ['timeout', 'refused', 'reset', 'http_5xx', 'http_429', 'http_4xx', 'other'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface LatencySummary {
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One point of the time series, by completion time. */
export interface Interval {
  /** Seconds from the start of the run to the start of the interval. */
  t: number;
  users: number;
  /** Requests scheduled to be sent in the interval (the offered load). */
  sent: number;
  /** Requests completed in the interval, successful or not. */
  done: number;
  errors: number;
  latency_ms: LatencySummary | null;
  /** This process's CPU time over the interval, as a share of one core. */
  client_cpu: number;
}

export interface ClientFigures {
  cpu_avg: number;
  cpu_max: number;
  /** The event loop's delay (99th percentile): how late the client itself was to send. */
  loop_delay_p99_ms: number;
  saturated: boolean;
  /** GET requests sent again on a new connection after the server closed the kept-alive one first (failures.ts). */
  resent: number;
}

export interface RunResult {
  requests: number;
  ok: number;
  errors: number;
  errors_by_kind: Record<ErrorKind, number>;
  status_codes: Record<string, number>;
  duration_s: number;
  offered_rps: number;
  throughput_rps: number;
  latency_ms: LatencySummary;
  stopped_by: 'duration' | 'max-requests';
  /** Requests still unanswered at the end and abandoned (counted as timeouts). */
  abandoned: number;
  peak_connections: number;
  intervals: Interval[];
  client: ClientFigures;
}

export interface Progress {
  elapsed: number;
  users: number;
  rps: number;
  p95: number | null;
  errors: number;
}
