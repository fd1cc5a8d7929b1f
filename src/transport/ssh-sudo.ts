// How a non-root login runs a privileged command: `sudo -n` when it needs no password, else `sudo -S` with the
// password from STACKSCALE_SUDO_PASSWORD as the first line of the command's stdin (never in argv). Checked once per
// connection.
import { UserError } from '../errors.js';
import type { ExecResult } from './exec-transport.js';
import { shellQuote, toShell } from './types.js';

export type SudoMode = 'nopasswd' | 'password';

/** Runs one command line on the connection (ChannelPool.exec). */
type Exec = (remote: string, stdin: Buffer, label: string) => Promise<ExecResult>;

const passwordLine = (password: string): Buffer => Buffer.from(`${password}\n`, 'utf8');

/** Seconds the host's own `timeout` gives a command on top of the client's deadline, then the grace before KILL. */
const REMOTE_TIMEOUT_SLACK_S = 1;
const REMOTE_KILL_GRACE_S = 2;

/**
 * The command line for a channel: `sh -c '<command>'`, behind sudo when privileged (the default) and the login is not
 * root. With a sudo password, `passwordLine` must go to the channel's stdin before anything of the command's own.
 *
 * With a deadline, the command runs under coreutils `timeout` on the host, as root when it is privileged. Debian 12's
 * sshd (OpenSSH 9.2) did not stop a command on the client's `signal` request (test/transport/ssh.test.ts), and closing
 * the channel does not stop one that does not read or write it: without this, a command the client gave up on would
 * keep running (a restart still going, a dump still loading) after stackscale reported the failure and put the files
 * back. `timeout` makes itself a process group and kills the whole group, TERM and then KILL; daemons a command
 * started have their own session and are left alone. It fires a second after the client's deadline, so the client
 * always reports the timeout itself.
 */
export async function remoteCommand(
  command: string | string[],
  privileged: boolean,
  login: { user: string; sudo: () => Promise<SudoMode>; password?: string },
  timeoutMs?: number,
): Promise<{ remote: string; passwordLine?: Buffer }> {
  const shell = `sh -c ${shellQuote(toShell(command))}`;
  const remote = timeoutMs === undefined ? shell : `timeout -k ${REMOTE_KILL_GRACE_S} ${Math.ceil(timeoutMs / 1000) + REMOTE_TIMEOUT_SLACK_S} ${shell}`;
  if (!privileged || login.user === 'root') return { remote };
  if ((await login.sudo()) === 'nopasswd') return { remote: `sudo -n ${remote}` };
  // -k: never use a cached sudo timestamp, so sudo always reads the password line and the command's own stdin
  // starts right after it (a cached timestamp would hand the password to the command).
  return { remote: `sudo -S -k -p '' ${remote}`, passwordLine: passwordLine(login.password ?? '') };
}

/** How this login gets root: `sudo -n` if it needs no password, else `sudo -S` with the password, which must work. */
export async function probeSudo(exec: Exec, host: string, user: string, password: string | undefined): Promise<SudoMode> {
  const probe = await exec(`sudo -n sh -c true`, Buffer.alloc(0), 'sudo -n sh -c true');
  if (probe.code === 0) return 'nopasswd';
  if (password === undefined) {
    throw new UserError({
      where: host,
      message: `user ${user} cannot run sudo without a password: ${probe.stderr.toString('utf8').trim()}`,
      fix: 'allow it NOPASSWD sudo, set STACKSCALE_SUDO_PASSWORD, or log in as root',
    });
  }
  // Checked once with nothing else on stdin: a wrong password must not make sudo read a command's stdin as retries.
  const check = await exec(`sudo -S -k -p '' sh -c true`, passwordLine(password), 'sudo -S sh -c true');
  if (check.code === 0) return 'password';
  throw new UserError({
    where: host,
    message: `sudo refused user ${user} with the password from STACKSCALE_SUDO_PASSWORD`,
    fix: 'check STACKSCALE_SUDO_PASSWORD and the sudoers entry for that user',
  });
}
