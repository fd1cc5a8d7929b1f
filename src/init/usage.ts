// What `stackscale init` prints when it cannot ask: kept apart, with nothing heavy imported, so the refusal on a
// non-terminal is immediate.
import { ROLES, SECRET_KEYS } from '../config/types.js';

export const NON_INTERACTIVE_USAGE = [
  'stackscale init --non-interactive --out FILE --profile P --host NAME=ADDRESS[:PORT] --role NAME=ROLE[,ROLE]',
  '    [--user NAME=USER] [--identity NAME=PATH] [--host-key NAME=SHA256:...] [--size NAME=MEMORY,CORES]',
  '    [--private-address NAME=IP]',
  '    [--secret KEY=env:VAR|file:PATH] [--database DB] [--db-user USER] [--force]',
];

export const FLAG_HELP = [
  '--host NAME=ADDRESS[:PORT]   a host (repeatable); [v6addr]:PORT for IPv6',
  `--role NAME=ROLE[,ROLE]      its roles: ${ROLES.join(', ')}`,
  '--user NAME=USER             SSH user (default root; others use sudo)',
  "--identity NAME=PATH         private key (default: the SSH agent's keys)",
  '--host-key NAME=SHA256:...   pin the host key fingerprint',
  '--private-address NAME=IP    the address other hosts reach it on (services bind to it; needed for a public address)',
  '--size NAME=MEMORY,CORES     e.g. web1=16G,8, for render/validate without live facts',
  `--secret KEY=env:VAR         where a secret comes from (${SECRET_KEYS.join(', ')}); default env:<KEY IN CAPITALS>`,
  '--database DB / --db-user U  the app database and user (default app / the database name)',
  '--force                      replace an existing --out file',
];
