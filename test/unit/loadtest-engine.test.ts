// The load generator against real HTTP servers on loopback, each in its own process with a known behaviour:
// the latency it reports matches the server's own measured delay; a server that stalls for 2 s shows in the high
// percentiles (no coordinated omission); and the offered rate is users / think whatever the server does.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad } from '../../src/loadtest/engine.js';
import { seededRng } from '../../src/loadtest/schedule.js';
import type { LoadPlan } from '../../src/loadtest/types.js';
import { median, startTestServer, type TestServer } from '../helpers/loadtest-server.js';

let server: TestServer | undefined;
afterEach(() => server?.stop());

function plan(url: string, over: Partial<LoadPlan>): LoadPlan {
  return {
    targets: [url], users: 10, thinkSeconds: 0.1, durationSeconds: 3, ramp: [],
    paths: [{ path: '/x?id={1..9}', weight: 1, method: 'GET' }],
    maxRequests: 100_000, maxConnections: 512, timeoutMs: 10_000, intervalSeconds: 1, ...over,
  };
}

describe('loadtest engine', () => {
  it('measures latency: p50 within a few ms of the delay the server itself measured', async () => {
    server = await startTestServer(50);
    const r = await runLoad(plan(server.url, { users: 20, thinkSeconds: 0.25, durationSeconds: 4 }), { rng: seededRng(1) });
    const stats = await server.stats();
    const own = median(stats.delays);
    expect(r.errors).toBe(0);
    expect(r.ok).toBeGreaterThan(150);
    expect(own).toBeGreaterThanOrEqual(49);
    // The client adds its connection, parsing and timer lateness on top of the server's time; a few ms on an idle
    // machine, more on a loaded 2-core one, never less than the server's own.
    expect(r.latency_ms.p50).toBeGreaterThanOrEqual(own - 1);
    expect(r.latency_ms.p50 - own).toBeLessThan(15);
    expect(r.latency_ms.max).toBeGreaterThanOrEqual(r.latency_ms.p99);
    expect(r.latency_ms.p99).toBeGreaterThanOrEqual(r.latency_ms.p95);
    // Keep-alive: each user reuses its connection; a second is opened only while the first is busy (a request due
    // within 50 ms of the last, ~18% of them at 0.25 s think), so far fewer connections than requests.
    expect(stats.connections).toBeGreaterThanOrEqual(20);
    expect(stats.connections).toBeLessThan(r.requests / 2);
  });

  it('shows a 2 s stall in the high percentiles: latency counts from the scheduled send time', async () => {
    // 100 req/s offered; the server holds everything arriving between 1.5 s and 3.5 s. About 200 of ~500 requests
    // are scheduled inside the stall, waiting 0 to 2 s: p90 is well over a second. A closed-loop client (each user
    // waiting for its answer, latency from the actual send) would have sent ~10 requests into the stall, and its p90
    // would be the 10 ms delay.
    server = await startTestServer(10, { atMs: 1500, forMs: 2000 });
    const r = await runLoad(plan(server.url, { users: 10, thinkSeconds: 0.1, durationSeconds: 5 }), { rng: seededRng(2) });
    expect(r.errors).toBe(0);
    expect(r.latency_ms.p99).toBeGreaterThan(1500);
    expect(r.latency_ms.p95).toBeGreaterThan(1000);
    expect(r.latency_ms.p50).toBeLessThan(500);
    // The client went on sending at the offered rate while nothing came back.
    const during = r.intervals.filter((i) => i.t >= 2 && i.t < 3);
    expect(during.length).toBe(1);
    expect(during[0].sent).toBeGreaterThan(60);
    expect(during[0].done).toBeLessThan(10);
  });

  it('offers users / think requests a second, independent of how slow the server answers', async () => {
    // 40 users x 0.4 s think = 100 req/s over 4 s = ~400 requests (Poisson: sd 20), against a server taking 300 ms,
    // longer than a tenth of the think time: a closed loop would fall to ~57 req/s.
    server = await startTestServer(300);
    const r = await runLoad(plan(server.url, { users: 40, thinkSeconds: 0.4, durationSeconds: 4 }), { rng: seededRng(3) });
    expect(r.offered_rps).toBe(100);
    expect(r.requests).toBeGreaterThan(320);
    expect(r.requests).toBeLessThan(480);
    expect(r.errors).toBe(0);
    expect(r.ok).toBe(r.requests);
    expect(r.latency_ms.p50).toBeGreaterThanOrEqual(300);
    // Keep-alive: about the in-flight count of connections (100 req/s x 0.3 s = 30), not one per request.
    expect(r.peak_connections).toBeLessThan(80);
  });

  it('stops by itself at --max-requests, and counts refused connections as errors of their kind', async () => {
    server = await startTestServer(0);
    const capped = await runLoad(plan(server.url, { users: 50, thinkSeconds: 0.05, durationSeconds: 30, maxRequests: 200 }), { rng: seededRng(4) });
    expect(capped.requests).toBe(200);
    expect(capped.stopped_by).toBe('max-requests');
    expect(capped.duration_s).toBeLessThan(5);

    const url = server.url;
    server.stop();
    server = undefined;
    await new Promise((r) => setTimeout(r, 200));
    const refused = await runLoad(plan(url, { users: 5, thinkSeconds: 0.1, durationSeconds: 1 }), { rng: seededRng(5) });
    expect(refused.requests).toBeGreaterThan(10);
    expect(refused.ok).toBe(0);
    expect(refused.errors_by_kind.refused).toBe(refused.requests);
  });

  it('ramps the users up along the stages, then holds --users', async () => {
    server = await startTestServer(0);
    const r = await runLoad(plan(server.url, { users: 30, thinkSeconds: 0.2, durationSeconds: 4, ramp: [{ users: 20, seconds: 2 }] }), { rng: seededRng(8) });
    const users = r.intervals.slice(0, 4).map((i) => i.users);
    expect(users[0]).toBeGreaterThanOrEqual(8);
    expect(users[0]).toBeLessThanOrEqual(12);
    // (read at each interval's end; the ramp is re-read every 100 ms)
    expect(users[1]).toBeGreaterThanOrEqual(18);
    expect(users[1]).toBeLessThanOrEqual(30);
    expect(users[2]).toBe(30);
    expect(r.offered_rps).toBe(150);
    // ~ (0 -> 20 users over 2 s) 100 + (30 users x 2 s) 300 requests at 5 a second per user
    expect(r.requests).toBeGreaterThan(300);
    expect(r.requests).toBeLessThan(520);
  });

  it('sends a POST path\'s query string as a form body, under the base URL\'s path', async () => {
    server = await startTestServer(0);
    const r = await runLoad(plan(`${server.url}/app`, { users: 5, thinkSeconds: 0.1, durationSeconds: 1, paths: [{ path: '/create_order.php?restaurant_id={7..7}&items=1:2', weight: 1, method: 'POST' }] }), { rng: seededRng(9) });
    expect(r.ok).toBe(r.requests);
    const { posts } = await server.stats();
    expect(posts[0]).toEqual({ url: '/app/create_order.php', type: 'application/x-www-form-urlencoded', body: 'restaurant_id=7&items=1:2' });
  });

  it('counts a request over --timeout as a timeout and bounds the run', async () => {
    server = await startTestServer(5000);
    const t = Date.now();
    const r = await runLoad(plan(server.url, { users: 5, thinkSeconds: 0.2, durationSeconds: 1, timeoutMs: 500 }), { rng: seededRng(6) });
    expect(Date.now() - t).toBeLessThan(4000);
    expect(r.errors_by_kind.timeout).toBe(r.requests);
    // The latency histogram keeps 3 significant digits (an HDR histogram's 0.1% bucket error), so a 500 ms wait may
    // read back as 499.5 ms.
    expect(r.latency_ms.p50).toBeGreaterThanOrEqual(500 * 0.999);
  });

  /**
   * A server that answers `answered` requests on each connection, kept alive, then resets the connection when the
   * next request arrives on it: the keep-alive race, every time.
   */
  async function closesKeptAlive(answered: number): Promise<{ url: string; connections: () => number; stop: () => Promise<void> }> {
    let connections = 0;
    const sockets = new Set<Socket>();
    const srv: Server = createServer((sock) => {
      connections++;
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => undefined);
      let buffer = '';
      let served = 0;
      sock.on('data', (d: Buffer) => {
        buffer += d.toString('latin1');
        // Each request's head ends in an empty line (the POST bodies here are a query string, never one).
        for (let end = buffer.indexOf('\r\n\r\n'); end >= 0; end = buffer.indexOf('\r\n\r\n')) {
          buffer = buffer.slice(end + 4).replace(/^[^\r]*?(?=[A-Z]+ \/)/, '');
          if (served++ >= answered) return sock.resetAndDestroy();
          sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
        }
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const { port } = srv.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      connections: () => connections,
      stop: () => new Promise<void>((resolve) => {
        for (const sock of sockets) sock.destroy();
        srv.close(() => resolve());
      }),
    };
  }

  it('sends a GET again on a new connection when the server closed its kept-alive one first, once, and says so', async () => {
    const srv = await closesKeptAlive(1);
    try {
      const r = await runLoad(plan(srv.url, { users: 5, thinkSeconds: 0.05, durationSeconds: 1.5 }), { rng: seededRng(11) });
      // Every second request of a connection met the reset; each was sent again on a new connection and answered.
      expect(r.requests).toBeGreaterThan(50);
      expect(r.errors).toBe(0);
      expect(r.ok).toBe(r.requests);
      expect(r.client.resent).toBeGreaterThan(r.requests / 3);
      expect(srv.connections()).toBeGreaterThanOrEqual(r.client.resent);
    } finally {
      await srv.stop();
    }
  });

  it('never sends a POST again, nor a request whose connection was new: those resets are errors', async () => {
    const srv = await closesKeptAlive(1);
    try {
      const r = await runLoad(plan(srv.url, { users: 5, thinkSeconds: 0.05, durationSeconds: 1.5, paths: [{ path: '/create_order.php?restaurant_id=1', weight: 1, method: 'POST' }] }), { rng: seededRng(12) });
      expect(r.client.resent).toBe(0);
      expect(r.errors_by_kind.reset).toBeGreaterThan(10);
      expect(r.ok + r.errors).toBe(r.requests);
    } finally {
      await srv.stop();
    }
    const never = await closesKeptAlive(0);
    try {
      const r = await runLoad(plan(never.url, { users: 5, thinkSeconds: 0.05, durationSeconds: 1 }), { rng: seededRng(13) });
      expect(r.client.resent).toBe(0);
      expect(r.errors_by_kind.reset).toBe(r.requests);
    } finally {
      await never.stop();
    }
  });
});
