// The Handlebars templates in the package's templates/, compiled once each.
// strict: a value the view lacks is an error, not an empty string. noEscape: config files are not HTML.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { packagePath } from '../util/package-root.js';

export const TEMPLATE_DIR = packagePath('templates');

export const TEMPLATES = [
  'php-fpm-pool.conf', 'redis.conf', 'mariadb.cnf', 'mysql.cnf', 'proxysql.cnf',
  'nginx.conf', 'nginx-app.conf', 'nginx-lb.conf', 'nginx-systemd.conf', 'sysctl.conf', 'app.php', 'app.env',
  'prometheus-rules.yml', 'prometheus.yml', 'alertmanager.yml', 'exporter-args', 'mysqld-exporter.cnf', 'fpm-metrics.sh', 'fpm-metrics.php',
  'fpm-metrics.cron',
] as const;
export type TemplateName = (typeof TEMPLATES)[number];

type Compiled = (view: object) => string;
const cache = new Map<TemplateName, Compiled>();

/** Our own Handlebars environment, so nothing registered elsewhere can change what a template does. */
const hbs = Handlebars.create();
/** The rate-limit block both nginx server files share. */
hbs.registerPartial('limits', readFileSync(join(TEMPLATE_DIR, 'nginx-limits.hbs'), 'utf8'));

export function compileTemplate(source: string): Compiled {
  const template = hbs.compile(source, { strict: true, noEscape: true });
  return (view) => template(view);
}

export function template(name: TemplateName): Compiled {
  let compiled = cache.get(name);
  if (!compiled) {
    const source = readFileSync(join(TEMPLATE_DIR, `${name}.hbs`), 'utf8');
    compiled = compileTemplate(source);
    cache.set(name, compiled);
  }
  return compiled;
}

/** Render a template; an error names the template, since strict mode's message alone does not. */
export function renderTemplate(name: TemplateName, view: object): string {
  try {
    return template(name)(view);
  } catch (err) {
    throw new Error(`template ${name}.hbs: ${(err as Error).message}`, { cause: err });
  }
}
