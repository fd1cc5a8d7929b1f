// The channels of one SSH connection: at most MAX_CHANNELS open at once, because OpenSSH's sshd refuses a session
// beyond MaxSessions (default 10). A command either runs to completion (exec: stdin in, stdout/stderr/code out) or
// hands its open streams to the caller (stream). Both are bounded in time, and both fail at once when the connection
// is lost. A slot is given back only when its channel has really closed, so a timed-out command cannot push the
// session count past MaxSessions.
import type { Client as SshClient, ClientChannel } from 'ssh2';
import { UnreachableError, UserError } from '../errors.js';
import type { ExecResult } from './exec-transport.js';
import { Semaphore } from './semaphore.js';
import type { CommandStream } from './types.js';

export const MAX_CHANNELS = 8;


/** Stop a channel's command; its 'close' event follows and gives the slot back. */
function kill(ch: ClientChannel): void {
  try {
    ch.signal('KILL');
    ch.close();
  } catch {
    // Already closing.
  }
}

export class ChannelPool {
  private readonly limit = new Semaphore(MAX_CHANNELS);
  private readonly pending = new Set<(err: Error) => void>();
  lost?: UnreachableError;

  constructor(
    private readonly client: SshClient,
    private readonly host: string,
    where: string,
  ) {
    client.on('error', () => {});
    client.on('close', () => {
      this.lost ??= new UnreachableError(host, `connection to ${where} was lost`);
      for (const reject of this.pending) reject(this.lost);
      this.pending.clear();
    });
  }

  async close(): Promise<void> {
    if (this.lost) return;
    this.lost = new UnreachableError(this.host, 'connection closed');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.destroy();
        resolve();
      }, 2000);
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
  }

  private timedOut(label: string, ms: number): UserError {
    return new UserError({ where: this.host, message: `command timed out after ${ms} ms: ${label}` });
  }

  /**
   * Open a channel for `remote` within a slot. `settle` is called once: with the error (start failed, timeout, lost
   * connection) or with nothing when the channel closed normally; `onChannel` gets the channel once it is open.
   */
  private async open(remote: string, label: string, timeoutMs: number | undefined, onChannel: (ch: ClientChannel, finish: (err?: Error) => void) => void, settle: (err?: Error) => void): Promise<void> {
    if (this.lost) throw this.lost;
    const release = await this.limit.acquire();
    if (this.lost) {
      release();
      throw this.lost;
    }
    let settled = false;
    let channel: ClientChannel | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.pending.delete(onLost);
      settle(err);
    };
    const onLost = (err: Error) => {
      release();
      finish(err);
    };
    this.pending.add(onLost);
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        if (channel) kill(channel);
        finish(this.timedOut(label, timeoutMs));
      }, timeoutMs);
    }
    this.client.exec(remote, {}, (err, ch) => {
      if (err) {
        release();
        return finish(new UserError({ where: this.host, message: `cannot start ${label}: ${err.message}` }));
      }
      channel = ch;
      ch.on('close', () => {
        release();
        finish();
      });
      if (settled) return kill(ch);
      onChannel(ch, finish);
    });
  }

  /** Run `remote` to completion with `stdin`. */
  exec(remote: string, stdin: Buffer, label: string, timeoutMs?: number): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let code: number | null = null;
      let signal: string | undefined;
      const settle = (err?: Error) => (err ? reject(err) : resolve({ code: code ?? (signal ? 128 : 255), stdout: Buffer.concat(out), stderr: Buffer.concat(errOut) }));
      const onChannel = (ch: ClientChannel) => {
        ch.on('data', (d: Buffer) => out.push(d));
        ch.stderr.on('data', (d: Buffer) => errOut.push(d));
        ch.on('exit', (c: number | null, s?: string) => {
          code = c;
          signal = s;
        });
        ch.end(stdin);
      };
      this.open(remote, label, timeoutMs, onChannel, settle).catch(reject);
    });
  }

  /**
   * Start `remote` and hand back its open streams; `preamble` (a sudo password line) is written to its stdin first.
   * `done` rejects when the command outlives `timeoutMs` (its channel is then killed) or the connection is lost.
   */
  stream(remote: string, label: string, preamble: Buffer | undefined, timeoutMs: number): Promise<CommandStream> {
    return new Promise<CommandStream>((resolveStream, rejectStream) => {
      let resolveDone!: (r: { code: number }) => void;
      let rejectDone!: (err: Error) => void;
      const done = new Promise<{ code: number }>((res, rej) => {
        resolveDone = res;
        rejectDone = rej;
      });
      let started = false;
      let code: number | null = null;
      let signal: string | undefined;
      const settle = (err?: Error) => {
        if (!started) return rejectStream(err ?? new UserError({ where: this.host, message: `cannot start ${label}` }));
        if (err) rejectDone(err);
        else resolveDone({ code: code ?? (signal ? 128 : 255) });
      };
      const onChannel = (ch: ClientChannel) => {
        started = true;
        ch.on('exit', (c: number | null, s?: string) => {
          code = c;
          signal = s;
        });
        if (preamble) ch.write(preamble);
        resolveStream({ stdin: ch, stdout: ch, stderr: ch.stderr, done });
      };
      this.open(remote, label, timeoutMs, onChannel, settle).catch(rejectStream);
    });
  }
}
