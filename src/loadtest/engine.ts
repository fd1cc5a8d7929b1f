// The load generator: an open model. Each virtual user sends a request, then its next one after an exponential think
// time counted from the previous request's *scheduled* time, whatever the server does; so the offered load stays
// `users / think` requests a second, and latency is measured from the scheduled send time. A slow server therefore
// shows its whole queue in the percentiles instead of slowing the client down (no coordinated omission).
//
// Connections: each virtual user has its own keep-alive agent and keeps at most one idle connection; it opens a second
// one only while its first is busy. At most `maxConnections` requests are in flight in total: a request over the
// limit waits in the client, and its wait is part of its latency. The run stops by itself at its duration (then waits
// at most `timeoutMs` for the last answers) or after `maxRequests` requests, whichever comes first.
import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { LatencyHistogram } from './histogram.js';
import { PathMix } from './paths.js';
import { errorKind, resendable, statusKind, TimeoutError } from './failures.js';
import { exponential, peakUsers, usersAt, type Rng } from './schedule.js';
import { ERROR_KINDS, type ErrorKind, type Interval, type LoadPlan, type Progress, type RunResult } from './types.js';

/** How often the ramp is re-read (users started or stopped). */
const CONTROL_MS = 100;
/** Client CPU (share of one core) or event-loop delay from which the client itself is the bottleneck. */
export const CLIENT_CPU_SATURATED = 0.8;
export const CLIENT_LOOP_DELAY_SATURATED_MS = 50;

interface Vu {
  index: number;
  active: boolean;
  next: number;
  timer?: NodeJS.Timeout;
  agent: http.Agent;
  target: URL;
}

interface Pending {
  vu: Vu;
  scheduled: number;
  method: 'GET' | 'POST';
  path: string;
}

export interface RunOptions {
  rng?: Rng;
  /** Called once an interval with the figures a one-line progress display shows. */
  onProgress?: (p: Progress) => void;
}

export async function runLoad(plan: LoadPlan, { rng = Math.random, onProgress }: RunOptions = {}): Promise<RunResult> {
  const mix = new PathMix(plan.paths, rng);
  const thinkMs = plan.thinkSeconds * 1000;
  const t0 = performance.now();
  const endAt = t0 + plan.durationSeconds * 1000;
  const intervalMs = plan.intervalSeconds * 1000;
  const targets = plan.targets.map((t) => new URL(t));

  const total = new LatencyHistogram();
  const current = new LatencyHistogram();
  const errorsByKind = Object.fromEntries(ERROR_KINDS.map((k) => [k, 0])) as Record<ErrorKind, number>;
  const statusCodes: Record<string, number> = {};
  const intervals: Interval[] = [];
  let issued = 0;
  let ok = 0;
  let errors = 0;
  let inflight = 0;
  let peakInflight = 0;
  let resent = 0;
  let stoppedBy: RunResult['stopped_by'] = 'duration';
  let scheduling = true;
  const queue: Pending[] = [];
  /** Requests in flight, with what settles each one. */
  const live = new Map<http.ClientRequest, (kind: ErrorKind | undefined, timed: boolean) => void>();
  let slot = { sent: 0, done: 0, errors: 0 };

  const vus: Vu[] = Array.from({ length: peakUsers(plan.ramp, plan.users) }, (_, index) => ({
    index,
    active: false,
    next: 0,
    // One idle connection kept per user; a second is opened only while the first is busy, and closed when idle.
    agent: new http.Agent({ keepAlive: true, maxFreeSockets: 1, scheduling: 'lifo' }),
    target: targets[index % targets.length],
  }));

  let finish: () => void = () => undefined;
  const drained = new Promise<void>((resolve) => (finish = resolve));
  const maybeDrained = () => {
    if (!scheduling && inflight === 0 && queue.length === 0) finish();
  };

  const complete = (scheduled: number, kind: ErrorKind | undefined, timed: boolean) => {
    const latency = performance.now() - scheduled;
    if (timed) {
      total.record(latency);
      current.record(latency);
    }
    slot.done++;
    if (kind) {
      errors++;
      slot.errors++;
      errorsByKind[kind]++;
    } else ok++;
  };

  const send = (p: Pending): void => {
    inflight++;
    peakInflight = Math.max(peakInflight, inflight);
    attempt(p, performance.now() + plan.timeoutMs, true);
  };

  /**
   * One try of a request, bounded by `deadline` (its first send + timeoutMs). The first goes through the user's agent
   * and may be sent once more (failures.ts); that second try takes a connection of its own, never another kept one.
   */
  const attempt = (p: Pending, deadline: number, first: boolean): void => {
    let settled = false;
    let answered = false;
    const done = (kind: ErrorKind | undefined, timed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      live.delete(req);
      complete(p.scheduled, kind, timed);
      inflight--;
      const nextUp = queue.shift();
      if (nextUp) send(nextUp);
      maybeDrained();
    };
    const base = p.vu.target.pathname === '/' ? '' : p.vu.target.pathname;
    const full = base + p.path;
    const [pathname, query = ''] = full.split('?', 2);
    const body = p.method === 'POST' ? query : undefined;
    const req = http.request(
      {
        agent: first ? p.vu.agent : false,
        protocol: p.vu.target.protocol,
        hostname: p.vu.target.hostname,
        port: p.vu.target.port || 80,
        method: p.method,
        path: p.method === 'POST' ? pathname : full,
        headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        answered = true;
        const status = res.statusCode ?? 0;
        statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        res.on('error', (err) => done(errorKind(err), false));
        res.on('end', () => done(statusKind(status), true));
        res.resume();
      },
    );
    live.set(req, done);
    const timer = setTimeout(() => req.destroy(new TimeoutError(`no answer within ${plan.timeoutMs} ms`)), Math.max(0, Math.ceil(deadline - performance.now())));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!settled && first && resendable(err, req, p.method, answered)) {
        // Its latency still counts from the scheduled time.
        settled = true;
        clearTimeout(timer);
        live.delete(req);
        resent++;
        attempt(p, deadline, false);
        return;
      }
      const kind = errorKind(err);
      done(kind, kind === 'timeout');
    });
    req.end(body);
  };

  const issue = (vu: Vu, scheduled: number): void => {
    issued++;
    slot.sent++;
    const { spec, path } = mix.pick();
    const p: Pending = { vu, scheduled, method: spec.method, path };
    if (inflight >= plan.maxConnections) queue.push(p);
    else send(p);
  };

  const fire = (vu: Vu): void => {
    vu.timer = undefined;
    if (!scheduling || !vu.active) return;
    if (issued >= plan.maxRequests) {
      stoppedBy = 'max-requests';
      return stop();
    }
    const scheduled = vu.next;
    issue(vu, scheduled);
    arm(vu, scheduled + exponential(thinkMs, rng));
  };

  const arm = (vu: Vu, at: number): void => {
    vu.next = at;
    if (at >= endAt) return;
    vu.timer = setTimeout(() => fire(vu), Math.max(0, at - performance.now()));
  };

  const control = (): void => {
    const now = performance.now();
    const want = usersAt((now - t0) / 1000, plan.ramp, plan.users);
    for (const vu of vus) {
      if (vu.index < want && !vu.active) {
        vu.active = true;
        // The first request after an exponential wait too: a Poisson process has no memory, so users started at once
        // do not send in a burst.
        arm(vu, now + exponential(thinkMs, rng));
      } else if (vu.index >= want && vu.active) {
        vu.active = false;
        clearTimeout(vu.timer);
        vu.timer = undefined;
      }
    }
  };

  // The client's own figures: its CPU time per interval and its event loop's delay.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let cpuMark = process.cpuUsage();
  let wallMark = performance.now();
  const closeInterval = (): void => {
    const now = performance.now();
    const cpu = process.cpuUsage(cpuMark);
    const share = (cpu.user + cpu.system) / 1000 / Math.max(1, now - wallMark);
    cpuMark = process.cpuUsage();
    wallMark = now;
    const users = vus.filter((v) => v.active).length;
    const latency = current.summary();
    intervals.push({ t: Math.round(((intervals.length * intervalMs) / 1000) * 1000) / 1000, users, ...slot, latency_ms: latency, client_cpu: round3(share) });
    onProgress?.({ elapsed: (now - t0) / 1000, users, rps: slot.done / plan.intervalSeconds, p95: total.summary()?.p95 ?? null, errors });
    current.reset();
    slot = { sent: 0, done: 0, errors: 0 };
  };

  function stop(): void {
    if (!scheduling) return;
    scheduling = false;
    for (const vu of vus) {
      clearTimeout(vu.timer);
      vu.active = false;
    }
    clearInterval(controlTimer);
    maybeDrained();
  }

  control();
  const controlTimer = setInterval(control, CONTROL_MS);
  const intervalTimer = setInterval(closeInterval, intervalMs);
  const endTimer = setTimeout(stop, Math.max(0, endAt - performance.now()));

  await new Promise<void>((resolve) => {
    // Wait for the end of scheduling, then at most timeoutMs (plus a second) for the last answers.
    const check = setInterval(() => {
      if (scheduling) return;
      clearInterval(check);
      const grace = setTimeout(resolve, plan.timeoutMs + 1000);
      void drained.then(() => {
        clearTimeout(grace);
        resolve();
      });
    }, 20);
  });
  clearTimeout(endTimer);
  clearInterval(intervalTimer);
  clearInterval(controlTimer);
  const elapsedMs = performance.now() - t0;
  if (slot.sent + slot.done > 0 || intervals.length === 0) closeInterval();
  loop.disable();

  // Whatever is still unanswered is given up: a timeout each, at its full age.
  const abandoned = queue.length + live.size;
  for (const p of queue.splice(0)) complete(p.scheduled, 'timeout', true);
  for (const [req, settle] of [...live]) {
    settle('timeout', true);
    req.destroy(new TimeoutError('abandoned at the end of the run'));
  }
  for (const vu of vus) vu.agent.destroy();

  const cpus = intervals.map((i) => i.client_cpu);
  const cpuAvg = cpus.length ? cpus.reduce((a, b) => a + b, 0) / cpus.length : 0;
  const loopP99 = loop.percentile(99) / 1e6;
  const duration = Math.min(elapsedMs, plan.durationSeconds * 1000) / 1000;
  return {
    requests: issued,
    ok,
    errors,
    errors_by_kind: errorsByKind,
    status_codes: statusCodes,
    duration_s: round3(elapsedMs / 1000),
    offered_rps: round3(peakUsers(plan.ramp, plan.users) / plan.thinkSeconds),
    throughput_rps: round3(ok / Math.max(duration, 0.001)),
    latency_ms: total.summary() ?? { avg: 0, p50: 0, p95: 0, p99: 0, max: 0 },
    stopped_by: stoppedBy,
    abandoned,
    peak_connections: peakInflight,
    intervals,
    client: {
      cpu_avg: round3(cpuAvg),
      cpu_max: round3(cpus.length ? Math.max(...cpus) : 0),
      loop_delay_p99_ms: round3(loopP99),
      saturated: cpuAvg >= CLIENT_CPU_SATURATED || loopP99 >= CLIENT_LOOP_DELAY_SATURATED_MS,
      resent,
    },
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
