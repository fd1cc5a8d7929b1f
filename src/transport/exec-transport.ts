// What the SSH and local transports share: run, readFile and writeFile on top of one `exec` that each implements
// (a channel over ssh2, a child process here). The file scripts are in file-scripts.ts, so both behave byte for byte alike.
import { UserError } from '../errors.js';
import { MISSING_EXIT, readFileScript, writeFileScript } from './file-scripts.js';
import type { FileWrite, RunOptions, RunResult, Transport } from './types.js';

export interface ExecResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

export abstract class ExecTransport implements Transport {
  abstract readonly host: string;
  protected abstract exec(command: string | string[], options: RunOptions): Promise<ExecResult>;
  abstract close(): Promise<void>;

  async run(command: string | string[], options: RunOptions = {}): Promise<RunResult> {
    const r = await this.exec(command, options);
    return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
  }

  async readFile(path: string): Promise<Buffer | null> {
    const r = await this.exec(readFileScript(path), {});
    if (r.code === MISSING_EXIT) return null;
    if (r.code !== 0) throw new UserError({ where: this.host, message: `cannot read ${path}: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}` });
    return r.stdout;
  }

  async writeFile(file: FileWrite): Promise<void> {
    const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    const r = await this.exec(writeFileScript(file), { stdin: content });
    if (r.code !== 0) throw new UserError({ where: this.host, message: `cannot write ${file.path}: ${r.stderr.toString('utf8').trim() || `exit ${r.code}`}` });
  }
}
