// The web tier's layouts (one host; two web hosts behind an lb; web_server: none) rendered through the real sizing
// model, against golden files. Refresh after an intended change: UPDATE_GOLDEN=1 npx vitest run
// test/unit/render-web-golden.test.ts, then read the diff.
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkSizing } from '../../src/validate/rules.js';
import { expectGolden } from '../helpers/golden.js';
import { WEB_LAYOUTS, webLayout, type WebLayout } from '../fixtures/web-sites.js';

const GOLDEN = path.join(import.meta.dirname, '..', 'golden', 'web');

describe.each(Object.keys(WEB_LAYOUTS) as WebLayout[])('layout %s', (name) => {
  test('every rendered file matches its golden file', () => {
    const { sizing, files } = webLayout(name);
    expect(checkSizing(sizing)).toEqual([]);
    expectGolden(path.join(GOLDEN, name), files);
  });
});

describe('what each layout manages', () => {
  const paths = (name: WebLayout, host: string): string[] => webLayout(name).files.filter((f) => f.host === host).map((f) => f.path);

  test('one host: nginx (main file, server block, LimitNOFILE, sysctl) beside PHP-FPM, app.php and the .env file', () => {
    expect(paths('one-host', 'vps1')).toEqual(expect.arrayContaining([
      '/etc/nginx/nginx.conf', '/etc/nginx/conf.d/stackscale-app.conf', '/etc/systemd/system/nginx.service.d/stackscale-limits.conf',
      '/etc/sysctl.d/60-stackscale.conf', '/etc/php/8.2/fpm/pool.d/www.conf', '/etc/stackscale/app.php', '/var/www/restro/.env',
    ]));
  });

  test('web_server: none: PHP-FPM and app.php only, no nginx file anywhere', () => {
    const files = webLayout('web-server-none').files;
    expect(files.filter((f) => f.service === 'nginx' || f.service === 'sysctl')).toEqual([]);
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['/etc/php/8.2/fpm/pool.d/www.conf', '/etc/stackscale/app.php']));
  });

  test('two web hosts behind an lb: the lb balances both private addresses and limits; the web hosts trust only the lb', () => {
    const { files } = webLayout('two-web-lb');
    const lb = files.find((f) => f.host === 'lb1' && f.path === '/etc/nginx/conf.d/stackscale-lb.conf')!.content;
    expect(lb).toMatch(/upstream stackscale_web \{\n\tleast_conn;\n\tserver 10\.0\.0\.11:80 max_fails=3 fail_timeout=10s; # web1\n\tserver 10\.0\.0\.12:80 max_fails=3 fail_timeout=10s; # web2\n\tkeepalive 32;/);
    expect(lb).toContain('limit_req zone=stackscale_req burst=20 nodelay;');
    expect(lb).toContain('192.0.2.0/24 0;');
    expect(lb).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
    for (const web of ['web1', 'web2']) {
      const app = files.find((f) => f.host === web && f.path === '/etc/nginx/conf.d/stackscale-app.conf')!.content;
      expect(app).toContain('\tset_real_ip_from 10.0.0.5;\n');
      expect(app).toContain('real_ip_header X-Forwarded-For;');
      expect(app).not.toContain('limit_req');
    }
  });

  test('app.php on a web host of the split site: ProxySQL on proxy1 for reads and writes, Redis on proxy1, passwords as placeholders', () => {
    const app = webLayout('two-web-lb').files.find((f) => f.host === 'web1' && f.path === '/etc/stackscale/app.php')!;
    expect(app.content).toContain("'host' => '10.0.0.13',\n            'port' => 6033,");
    expect(app.content).toContain("'password' => 'STACKSCALE-SECRET-NOT-RENDERED(app_db_password)'");
    expect(app.content).toContain("'password' => 'STACKSCALE-SECRET-NOT-RENDERED(redis_password)'");
    expect(app.content).toContain("'get_orders' => 10,");
    expect([app.mode.toString(8), app.owner, app.group, app.secrets]).toEqual(['640', 'root', 'www-data', ['app_db_password', 'redis_password']]);
  });
});
