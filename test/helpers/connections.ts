// A bounded keep-alive client for the web tier's tests: opens `count` connections at once to a test host (never any
// other address), sends one request on each, waits for every answer while holding every connection open, then
// closes them all. Bounded in connections and in time.
import net from 'node:net';

export interface HeldResult {
  /** Connections that got an HTTP response, by status. */
  statuses: Record<number, number>;
  /** Connections that failed (reset, refused, closed without a response, timed out). */
  failed: number;
  /** Responses still open when every connection had answered (keep-alive kept). */
  heldOpen: number;
  /** Response headers of one answer per status. */
  sample: Record<number, string>;
}

export async function holdConnections(address: string, port: number, count: number, path: string, timeoutMs = 30_000): Promise<HeldResult> {
  if (!/^10\.77\.\d+\.\d+$/.test(address) && address !== '127.0.0.1') throw new Error(`holdConnections: ${address} is not a test host`);
  const sockets: net.Socket[] = [];
  const result: HeldResult = { statuses: {}, failed: 0, heldOpen: 0, sample: {} };
  const done = await new Promise<boolean>((resolve) => {
    let pending = count;
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const finish = (): void => {
      if (--pending === 0) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    for (let i = 0; i < count; i++) {
      const s = net.connect({ host: address, port });
      sockets.push(s);
      let buf = '';
      let settled = false;
      const settle = (status?: number): void => {
        if (settled) return;
        settled = true;
        if (status === undefined) result.failed++;
        else {
          result.statuses[status] = (result.statuses[status] ?? 0) + 1;
          result.sample[status] ??= buf.split('\r\n\r\n')[0];
        }
        finish();
      };
      s.setTimeout(timeoutMs, () => s.destroy());
      s.on('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n`));
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
        if (m && buf.includes('\r\n\r\n')) settle(Number(m[1]));
      });
      s.on('error', () => settle());
      s.on('close', () => settle());
    }
  });
  result.heldOpen = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
  if (!done) result.failed += 0; // counted by their own close below
  for (const s of sockets) s.destroy();
  return result;
}
