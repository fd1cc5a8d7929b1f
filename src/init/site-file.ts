// Answers -> the text of a commented site file (version 1, the names of issue 2). Written by hand rather than by
// YAML.stringify so every key carries a comment a newcomer can act on; scalars still go through the YAML library's
// quoting, so an odd path or address cannot break the file.
import { stringify } from 'yaml';
import type { HostAnswer, InitAnswers } from './answers.js';
import { SECRET_PURPOSE } from './answers.js';
import { GiB, MiB } from '../config/size.js';
import type { SecretKey } from '../config/types.js';

/** Bytes as the site file writes them: whole gibibytes as `16G`, else mebibytes (`15988M`, what MemTotal gives). */
export function formatSize(bytes: number): string {
  if (bytes % GiB === 0) return `${bytes / GiB}G`;
  return `${Math.floor(bytes / MiB)}M`;
}

function scalar(value: string | number): string {
  if (typeof value === 'number') return String(value);
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** `key: value` padded so the comments of a block line up. */
function line(indent: number, key: string, value: string, comment?: string, width = 34): string {
  const text = `${' '.repeat(indent)}${key}: ${value}`;
  return comment ? `${text.padEnd(width)} # ${comment}` : text;
}

export interface SiteFileMeta {
  /** ISO date for the header; tests pass a fixed one. */
  date: string;
  /** What the profile choice rests on, e.g. "recommended: the largest shipped profile that fits vps1 (15.6 GiB, 8 cores)". */
  profileNote?: string;
}

export function renderSiteFile(answers: InitAnswers, meta: SiteFileMeta): string {
  const out: string[] = [
    `# stackscale site file, written by \`stackscale init\` on ${meta.date}.`,
    '# Check it with `stackscale validate`; see what a deployment would change with `stackscale plan`.',
    '# Keys (version 1): profile, hosts.<name>.{address, port, user, identity, host_key, roles, size}, app, secrets.',
    '',
    line(0, 'profile', profileScalar(answers.profile), meta.profileNote ?? 'capacity profile: 300, 700, 1000 or a file (`stackscale profiles`)'),
    '',
    'hosts:',
  ];
  for (const h of answers.hosts) out.push(...hostBlock(h));
  out.push(
    '',
    'app:',
    line(2, 'database', scalar(answers.app.database), 'the database the app uses'),
    line(2, 'db_user', scalar(answers.app.dbUser), 'the MySQL user it logs in as (through ProxySQL where there is one)'),
  );
  const keys = Object.keys(answers.secrets) as SecretKey[];
  if (keys.length > 0) {
    out.push('', '# Where each secret comes from: env:NAME (an environment variable) or file:PATH. Never the secret itself.', 'secrets:');
    for (const k of keys) out.push(line(2, k, scalar(answers.secrets[k] as string), SECRET_PURPOSE[k], 46));
  }
  return out.join('\n') + '\n';
}

/** Shipped profile names are written bare (`profile: 1000`), paths quoted as needed. */
function profileScalar(profile: string): string {
  return /^\d+$/.test(profile) ? profile : scalar(profile);
}

function hostBlock(h: HostAnswer): string[] {
  const lines = [
    `  ${h.name}:`,
    line(4, 'address', scalar(h.address), 'where SSH connects'),
    line(4, 'port', String(h.port)),
    line(4, 'user', scalar(h.user), h.user === 'root' ? 'another user works through sudo' : 'privileged commands go through sudo'),
    h.identity ? line(4, 'identity', scalar(h.identity), 'private key; the SSH agent is tried after it') : '    # identity: ~/.ssh/id_ed25519    # none given: the SSH agent\'s keys are used',
  ];
  if (h.hostKey) lines.push(line(4, 'host_key', scalar(h.hostKey), 'pinned: checked instead of known_hosts'));
  if (h.privateAddress) lines.push(line(4, 'private_address', scalar(h.privateAddress), 'services other hosts use bind to it'));
  lines.push(line(4, 'roles', `[${h.roles.join(', ')}]`));
  if (h.size) {
    lines.push(line(4, 'size', `{memory: ${formatSize(h.size.memory)}, cores: ${h.size.cores}}`, 'for render/validate; plan and apply read the live figures'));
  }
  return lines;
}
