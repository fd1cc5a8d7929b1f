// Benchmark (not a test): what the load generator itself can do on this machine, so that a load test never reports
// on a bottleneck that is its own. Offers rising request rates to a do-nothing HTTP server on loopback (in its own
// process) and prints, per rate, what was answered, the latency the generator measured, its own CPU (share of one
// core) and its event loop's delay; a rate where the CPU nears a core or the loop delay grows is past its ceiling.
//   npx vite-node bench/generator.ts [--rates 500,1000,2000,4000] [--seconds 3]
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runLoad } from '../src/loadtest/engine.js';
import { startTestServer } from '../test/helpers/loadtest-server.js';

const { values: opt } = parseArgs({ options: { rates: { type: 'string', default: '500,1000,2000,4000' }, seconds: { type: 'string', default: '3' } } });
console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('offered req/s  answered req/s  p50 ms  p99 ms  client CPU  loop delay p99 ms');
const server = await startTestServer(0);
try {
  for (const rate of opt.rates.split(',').map(Number)) {
    // 1000 users at think = users / rate: the same shape as a real run.
    const users = 1000;
    const r = await runLoad({
      targets: [server.url], users, thinkSeconds: users / rate, durationSeconds: Number(opt.seconds), ramp: [],
      paths: [{ path: '/x', weight: 1, method: 'GET' }], maxRequests: 10_000_000, maxConnections: 1024, timeoutMs: 10_000, intervalSeconds: 1,
    });
    console.log(
      `${String(rate).padStart(14)}  ${r.throughput_rps.toFixed(0).padStart(14)}  ${r.latency_ms.p50.toFixed(1).padStart(6)}  ${r.latency_ms.p99.toFixed(1).padStart(6)}  ` +
        `${(r.client.cpu_avg * 100).toFixed(0).padStart(9)}%  ${r.client.loop_delay_p99_ms.toFixed(1).padStart(17)}${r.client.saturated ? '  (saturated)' : ''}`,
    );
  }
} finally {
  server.stop();
}
