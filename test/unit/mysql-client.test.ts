// The one way a MySQL/MariaDB password reaches the client: an option file on stdin. Read back by the real client's
// own option parser on this machine (mariadb-client, installed by .ci/run), for a password of every printable ASCII
// character. The ProxySQL admin path once wrote the file with printf and no escaping: `\b` in a password became a
// backspace and `"` ended the value early.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clientCommand, clientOptionFile, proxysqlAdmin, sqlInvocation } from '../../src/daemons/mysql-client.js';

/** Every printable ASCII character, space to tilde. */
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
const dir = mkdtempSync(join(tmpdir(), 'stackscale-mysql-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The options the client would start with, as its own parser reads the file (`my_print_defaults`). */
function parsed(file: string): string[] {
  const path = join(dir, 'client.cnf');
  writeFileSync(path, file, { mode: 0o600 });
  return execFileSync('my_print_defaults', [`--defaults-file=${path}`, 'client'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('the MySQL option file on stdin', () => {
  it.each([
    ['every printable ASCII character', PRINTABLE],
    ['a backslash before b, n and 0', 'a\\b\\n\\0z'],
    ['quotes and a comment sign', `"it's" # not a comment`],
    ['leading and trailing spaces', '  padded  '],
  ])('carries %s through the client option parser unchanged', (_, password) => {
    const file = clientOptionFile({ user: 'admin', password, host: '127.0.0.1', port: 6032 });
    expect(parsed(file)).toEqual(['--user=admin', `--password=${password}`, '--host=127.0.0.1', '--port=6032']);
  });

  it('is what the shell command hands the client: exactly the option file, then the SQL (dd reads no further)', () => {
    const login = { user: 'admin', password: PRINTABLE, host: '127.0.0.1', port: 6032 };
    // --print-defaults makes the real client print what it read and exit, before any connection.
    const { command, stdin } = sqlInvocation('mysql', ['--print-defaults'], login, 'SELECT 1;\n');
    const r = spawnSync('sh', ['-c', command], { input: stdin, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`--user=admin --password=${PRINTABLE} --host=127.0.0.1 --port=6032`);
  });

  it('keeps the password out of the command line (argv is visible in ps)', () => {
    const { command, stdin } = proxysqlAdmin({ port: 6032, user: 'radmin', password: 'Sx\\"9;' }, 'SELECT 1;\n');
    const file = clientOptionFile({ user: 'radmin', password: 'Sx\\"9;', host: '127.0.0.1', port: 6032 });
    expect(command).toBe(clientCommand('mysql', ['--batch', '--skip-column-names'], Buffer.byteLength(file)));
    expect(command).not.toContain('Sx');
    expect(stdin.toString()).toBe(`${file}SELECT 1;\n`);
  });

  it('sends the SQL alone when there is no login (root over the unix socket)', () => {
    expect(sqlInvocation('mariadb', ['--batch'], undefined, 'SELECT 1;\n')).toEqual({ command: 'mariadb --batch', stdin: 'SELECT 1;\n' });
  });
});

describe('the admin login read back from a rendered proxysql.cnf', () => {
  it('undoes the libconfig escapes: a backslash in the password is one backslash (it was sent doubled)', async () => {
    const { libconfigString } = await import('../../src/render/quote.js');
    const { proxysqlAdminFromCnf } = await import('../../src/proxysql/admin.js');
    const password = PRINTABLE.replace(/["':;]/g, ''); // what the admin password may hold (config/secret-rules.ts)
    const cnf = `admin_variables =\n{\n  admin_credentials = ${libconfigString(`radmin:${password}`)}\n  mysql_ifaces = "127.0.0.1:6042"\n}\n`;
    expect(proxysqlAdminFromCnf(cnf)).toEqual({ user: 'radmin', password, port: 6042 });
  });
});
