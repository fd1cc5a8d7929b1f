import { describe, expect, it } from 'vitest';
import { answersFromFlags, type InitFlags } from '../../src/init/flags.js';
import { InvalidInputError } from '../../src/errors.js';

const GiB = 2 ** 30;
// The flag parser is given the site file's size parser; a small stand-in keeps this table independent of it.
const parseSize = (t: string): number | undefined => (/^\d+G$/.test(t) ? Number(t.slice(0, -1)) * GiB : undefined);

function problems(flags: InitFlags): string[] {
  try {
    answersFromFlags(flags, parseSize);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).exitCode).toBe(3);
    return (err as InvalidInputError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('no error');
}

describe('init --non-interactive flags', () => {
  it('one all-in-one host, defaults filled in', () => {
    const a = answersFromFlags({ profile: '700', host: ['vps1=203.0.113.10'], role: ['vps1=web,cache,proxysql,db-primary'] }, parseSize);
    expect(a).toEqual({
      profile: '700',
      hosts: [{ name: 'vps1', address: '203.0.113.10', port: 22, user: 'root', roles: ['web', 'cache', 'proxysql', 'db-primary'] }],
      app: { database: 'app', dbUser: 'app' },
      secrets: {
        redis_password: 'env:REDIS_PASSWORD',
        app_db_password: 'env:APP_DB_PASSWORD',
        proxysql_admin_password: 'env:PROXYSQL_ADMIN_PASSWORD',
        proxysql_monitor_password: 'env:PROXYSQL_MONITOR_PASSWORD',
      },
    });
  });

  it('every per-host flag, ports, IPv6, repeated roles, secrets and sizes', () => {
    const fp = 'SHA256:' + 'A'.repeat(43);
    const a = answersFromFlags(
      {
        profile: '1000',
        host: ['web1=web1.example.com:2222', 'db1=[2001:db8::5]:22'],
        role: ['web1=web', 'web1=cache', 'db1=db-primary'],
        user: ['web1=deploy'],
        identity: ['web1=~/.ssh/deploy_ed25519'],
        hostKey: [`db1=${fp}`],
        privateAddress: ['db1=fd00::5'],
        size: ['web1=16G,8'],
        secret: ['redis_password=file:/run/secrets/redis', 'app_db_password=env:DB_PASS'],
        database: 'restro',
        dbUser: 'restro_app',
      },
      parseSize,
    );
    expect(a.hosts).toEqual([
      { name: 'web1', address: 'web1.example.com', port: 2222, user: 'deploy', identity: '~/.ssh/deploy_ed25519', roles: ['web', 'cache'], size: { memory: 16 * GiB, cores: 8 } },
      { name: 'db1', address: '2001:db8::5', port: 22, user: 'root', hostKey: fp, privateAddress: 'fd00::5', roles: ['db-primary'] },
    ]);
    expect(a.secrets).toEqual({ redis_password: 'file:/run/secrets/redis', app_db_password: 'env:DB_PASS' });
    expect(a.app).toEqual({ database: 'restro', dbUser: 'restro_app' });
  });

  it('all problems at once, each naming its flag', () => {
    expect(
      problems({
        host: ['web1', 'db1=10.0.0.5:99999', 'db1=10.0.0.6', 'bad name=1.2.3.4'],
        role: ['web9=web', 'db1=database', 'db1'],
        size: ['db1=lots'],
        secret: ['redis_password=hunter2', 'root_password=env:X'],
        database: 'my-db',
      }),
    ).toEqual([
      '--profile: is required',
      '--host: "web1" is not NAME=ADDRESS[:PORT]',
      '--host: db1: port "99999": a port number from 1 to 65535',
      '--host: host "db1" is given twice',
      '--host: host name "bad name": letters, digits, ".", "_" and "-", starting with a letter or digit',
      '--role: "web9" is not a host given with --host',
      '--role: db1: "database" is not a role',
      '--role: "db1" is not NAME=VALUE',
      '--size: db1: "lots" is not MEMORY,CORES',
      '--role: host "db1" has no roles',
      '--role: host "bad name" has no roles',
      '--database: "my-db": letters, digits, _ and $, at most 64 characters',
      '--secret: redis_password: write where the secret is, env:NAME or file:PATH; a literal secret is never accepted in the site file',
      '--secret: "root_password" is not a secret of the site file',
    ]);
  });

  it('no host at all, two primaries', () => {
    expect(problems({ profile: '300' })).toEqual(['--host: at least one host is required']);
    expect(problems({ profile: '300', host: ['a=1.1.1.1', 'b=2.2.2.2'], role: ['a=db-primary', 'b=db-primary'] })).toEqual([
      '--role: db-primary is given to a and b',
    ]);
  });

  it('a literal secret is never repeated in the error', () => {
    const msgs = problems({ profile: '300', host: ['a=1.1.1.1'], role: ['a=web'], secret: ['app_db_password=Sup3rS3cret!', 'Sup3rS3cret!'] });
    expect(msgs.join('\n')).not.toContain('Sup3rS3cret');
  });
});
