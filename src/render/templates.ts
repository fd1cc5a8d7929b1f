// The Handlebars templates in the package's templates/, compiled once each.
// strict: a value the view lacks is an error, not an empty string. noEscape: config files are not HTML.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { packagePath } from '../util/package-root.js';
import { OPTIONS as PRECOMPILED_OPTIONS, PRECOMPILED } from './precompiled.js';

export const TEMPLATE_DIR = packagePath('templates');

export const TEMPLATES = [
  'php-fpm-pool.conf', 'redis.conf', 'mariadb.cnf', 'mysql.cnf', 'proxysql.cnf',
  'nginx.conf', 'nginx-app.conf', 'nginx-lb.conf', 'nginx-systemd.conf', 'sysctl.conf', 'app.php', 'app.env',
  'prometheus-rules.yml', 'prometheus.yml', 'alertmanager.yml', 'exporter-args', 'mysqld-exporter.cnf', 'fpm-metrics.sh', 'fpm-metrics.php',
  'textfile-metrics.cron', 'nginx-latency.php', 'proxysql-metrics.sh',
] as const;
export type TemplateName = (typeof TEMPLATES)[number];

type Compiled = (view: object) => string;
const cache = new Map<TemplateName, Compiled>();

/** Our own Handlebars environment, so nothing registered elsewhere can change what a template does. */
const hbs = Handlebars.create();
const COMPILE_OPTIONS = { strict: true, noEscape: true };
const samePrecompileOptions = JSON.stringify(PRECOMPILED_OPTIONS) === JSON.stringify(COMPILE_OPTIONS);

/** The build's precompiled form of a template file (precompiled.ts), when it was built from exactly this source. */
function precompiled(file: string, source: string): Handlebars.TemplateDelegate | undefined {
  const entry = samePrecompileOptions ? PRECOMPILED[file] : undefined;
  return entry && entry.source === source ? hbs.template(entry.spec as TemplateSpecification) : undefined;
}
type TemplateSpecification = Parameters<typeof hbs.template>[0];

/** The rate-limit block both nginx server files share. */
const limits = readFileSync(join(TEMPLATE_DIR, 'nginx-limits.hbs'), 'utf8');
hbs.registerPartial('limits', precompiled('nginx-limits.hbs', limits) ?? limits);

export function compileTemplate(source: string, file?: string): Compiled {
  const template = (file && precompiled(file, source)) || hbs.compile(source, COMPILE_OPTIONS);
  return (view) => template(view);
}

export function template(name: TemplateName): Compiled {
  let compiled = cache.get(name);
  if (!compiled) {
    const source = readFileSync(join(TEMPLATE_DIR, `${name}.hbs`), 'utf8');
    compiled = compileTemplate(source, `${name}.hbs`);
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
