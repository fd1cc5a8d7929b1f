// `stackscale init --non-interactive`: the same answers as the wizard, from flags. Every bad flag is reported at once
// (exit 3), each naming the flag, the value and what is allowed.
import { DEFAULT_SECRET_ENV, ROLES, SECRET_KEYS, type Role, type SecretKey } from '../config/types.js';
import { excerpt } from '../util/excerpt.js';
import { HOST_KEY } from '../config/schema.js';
import { InvalidInputError, type Problem } from '../errors.js';
import { describeExposure, publicExposures } from '../config/listen.js';
import type { Site } from '../config/types.js';
export { FLAG_HELP, NON_INTERACTIVE_USAGE } from './usage.js';
import {
  checkAddress,
  checkHostName,
  checkDatabase,
  checkDbUser,
  checkPort,
  checkSecretRef,
  isRole,
  secretsFor,
  type HostAnswer,
  type InitAnswers,
} from './answers.js';

export interface InitFlags {
  out?: string;
  profile?: string;
  host?: string[];
  role?: string[];
  user?: string[];
  identity?: string[];
  hostKey?: string[];
  privateAddress?: string[];
  size?: string[];
  secret?: string[];
  database?: string;
  dbUser?: string;
}

type SizeParser = (text: string) => number | undefined;

export function answersFromFlags(flags: InitFlags, parseSize: SizeParser): InitAnswers {
  const problems: Problem[] = [];
  const bad = (flag: string, message: string, fix?: string): void => void problems.push({ path: flag, message, fix });

  if (!flags.profile) bad('--profile', 'is required', 'a shipped profile (300, 700, 1000) or a profile file');
  const hosts = new Map<string, HostAnswer>();
  for (const text of flags.host ?? []) {
    const m = /^([^=]+)=(?:\[([^\]]+)\]|([^:]+))(?::(.*))?$/.exec(text);
    if (!m) {
      bad('--host', `${excerpt(text)} is not NAME=ADDRESS[:PORT]`, 'e.g. --host web1=203.0.113.10 or --host web1=203.0.113.10:2222');
      continue;
    }
    const [, name, v6, address = v6, portText] = m;
    const nameOk = checkHostName(name);
    if (nameOk !== true) bad('--host', `host name ${excerpt(name)}: ${nameOk}`);
    const addrOk = checkAddress(address);
    if (addrOk !== true) bad('--host', `${name}: address ${excerpt(address)}: ${addrOk}`);
    const portOk = portText === undefined ? true : checkPort(portText);
    if (portOk !== true) bad('--host', `${name}: port ${excerpt(portText)}: ${portOk}`);
    if (hosts.has(name)) bad('--host', `host ${excerpt(name)} is given twice`);
    hosts.set(name, { name, address, port: portText === undefined ? 22 : Number(portText), user: 'root', roles: [] });
  }
  if (hosts.size === 0) bad('--host', 'at least one host is required', 'e.g. --host web1=203.0.113.10');

  const perHost = (flag: string, values: string[] | undefined, apply: (host: HostAnswer, value: string) => void): void => {
    for (const text of values ?? []) {
      const eq = text.indexOf('=');
      const name = eq > 0 ? text.slice(0, eq) : '';
      const value = eq > 0 ? text.slice(eq + 1) : '';
      if (!name || !value) {
        bad(flag, `${excerpt(text)} is not NAME=VALUE`);
        continue;
      }
      const host = hosts.get(name);
      if (!host) {
        bad(flag, `${excerpt(name)} is not a host given with --host`, hosts.size ? `one of: ${[...hosts.keys()].join(', ')}` : undefined);
        continue;
      }
      apply(host, value);
    }
  };

  perHost('--role', flags.role, (h, value) => {
    for (const r of value.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!isRole(r)) bad('--role', `${h.name}: ${excerpt(r)} is not a role`, `one of: ${ROLES.join(', ')}`);
      else if (!h.roles.includes(r)) h.roles.push(r);
    }
  });
  perHost('--user', flags.user, (h, value) => void (h.user = value));
  perHost('--identity', flags.identity, (h, value) => void (h.identity = value));
  perHost('--host-key', flags.hostKey, (h, value) => {
    if (!HOST_KEY.test(value)) bad('--host-key', `${h.name}: ${excerpt(value)} is not a SHA256 fingerprint`, 'as ssh-keygen -lf prints it: SHA256:<43 characters>');
    else h.hostKey = value.replace(/=$/, '');
  });
  perHost('--private-address', flags.privateAddress, (h, value) => {
    const ok = checkAddress(value);
    if (ok !== true) bad('--private-address', `${h.name}: ${excerpt(value)}: ${ok}`);
    else h.privateAddress = value.trim();
  });
  perHost('--size', flags.size, (h, value) => {
    const [memText, coresText, ...rest] = value.split(',');
    const memory = parseSize(memText?.trim() ?? '');
    const cores = Number(coresText);
    if (memory === undefined || !Number.isInteger(cores) || cores < 1 || rest.length > 0) {
      bad('--size', `${h.name}: ${excerpt(value)} is not MEMORY,CORES`, 'e.g. --size web1=16G,8');
    } else h.size = { memory, cores };
  });
  for (const h of hosts.values()) {
    if (h.roles.length === 0) bad('--role', `host ${excerpt(h.name)} has no roles`, `add --role ${h.name}=ROLE[,ROLE] with any of: ${ROLES.join(', ')}`);
  }
  for (const e of publicExposures(answersSite([...hosts.values()]))) {
    bad('--private-address', describeExposure(e), `pass --private-address ${e.host.name}=<its private IP>, or add expose_public: true to the written file to accept it`);
  }
  const primaries = [...hosts.values()].filter((h) => h.roles.includes('db-primary'));
  if (primaries.length > 1) bad('--role', `db-primary is given to ${primaries.map((h) => h.name).join(' and ')}`, 'a site has at most one primary');

  const database = flags.database ?? 'app';
  const dbUser = flags.dbUser ?? database;
  // --db-user defaults to the database name: a bad name is reported once, under the flag that gave it.
  const dbOk = checkDatabase(database);
  if (dbOk !== true) bad('--database', `${excerpt(database)}: ${dbOk}`);
  const userOk = checkDbUser(dbUser);
  if (userOk !== true && (flags.dbUser !== undefined || dbOk === true)) bad('--db-user', `${excerpt(dbUser)}: ${userOk}`);

  const roles = new Set<Role>([...hosts.values()].flatMap((h) => h.roles));
  const secrets: Partial<Record<SecretKey, string>> = {};
  for (const k of secretsFor(roles)) secrets[k] = `env:${DEFAULT_SECRET_ENV[k]}`;
  for (const text of flags.secret ?? []) {
    const eq = text.indexOf('=');
    const key = text.slice(0, Math.max(eq, 0));
    const value = eq > 0 ? text.slice(eq + 1) : '';
    // The value may be a password typed in by mistake: never repeat it, nor a text without `KEY=`.
    if (eq <= 0) {
      bad('--secret', 'a value is not KEY=env:VAR or KEY=file:PATH', `KEY is one of: ${SECRET_KEYS.join(', ')}`);
      continue;
    }
    if (!(SECRET_KEYS as readonly string[]).includes(key)) {
      bad('--secret', `${excerpt(key)} is not a secret of the site file`, `one of: ${SECRET_KEYS.join(', ')}`);
      continue;
    }
    const ok = checkSecretRef(value);
    if (ok !== true) bad('--secret', `${key}: ${ok}`);
    else secrets[key as SecretKey] = value.trim();
  }

  if (problems.length > 0) throw new InvalidInputError(problems);
  return { profile: flags.profile as string, hosts: [...hosts.values()], app: { database, dbUser }, secrets };
}

/** Enough of a Site for the bind rules (config/listen.ts): names, addresses and roles. */
export function answersSite(hosts: HostAnswer[]): Site {
  return {
    profile: '',
    app: { database: '', dbUser: '' },
    secrets: {},
    hosts: hosts.map((h) => ({
      name: h.name,
      address: h.address,
      privateAddress: h.privateAddress ?? h.address,
      privateGiven: h.privateAddress !== undefined,
      port: h.port,
      user: h.user,
      roles: h.roles,
    })),
  };
}
