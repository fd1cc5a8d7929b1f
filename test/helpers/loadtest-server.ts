// Starts test/fixtures/loadtest/server.mjs in a child process on 127.0.0.1 and stops it (it also exits when this
// process goes away: its stdin closes).
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export interface TestServer {
  url: string;
  stats(): Promise<{ delays: number[]; connections: number; posts: { url: string; type: string; body: string }[] }>;
  stop(): void;
}

export async function startTestServer(delayMs: number, stall?: { atMs: number; forMs: number }): Promise<TestServer> {
  const script = resolve(import.meta.dirname, '../fixtures/loadtest/server.mjs');
  const args = [script, String(delayMs), ...(stall ? [String(stall.atMs), String(stall.forMs)] : [])];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('test server did not start within 10 s')), 10_000);
    child.stdout?.once('data', (d: Buffer) => {
      clearTimeout(timer);
      ok(Number(String(d).trim()));
    });
    child.once('exit', (code) => fail(new Error(`test server exited ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    stats: async () => (await (await fetch(`${url}/__stats`)).json()) as Awaited<ReturnType<TestServer['stats']>>,
    stop: () => void child.kill(),
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
