// A statement's fingerprint: the statement with its literals, numbers, comments, IN (...) / VALUES lists and
// whitespace normalised away, so every execution of one query shape groups together. The steps and their order are
// those of pt-query-digest's QueryRewriter::fingerprint (Percona Toolkit 3.x), so the groups agree with the
// digests operators already know; each step is commented with what it does.
//
// Masking for display (`maskLiterals`) is a separate, lighter step: it keeps the statement's shape and case and only
// replaces the literals, which may hold personal data.

import { createHash } from 'node:crypto';

const ONE_LINE_COMMENT = /(?:--|#)[^'"\r\n]*(?=[\r\n]|$)/g;
/** Comments, but not MySQL's executable /*!40101 ... *\/ ones. */
const MULTI_LINE_COMMENT = /\/\*[^!][\s\S]*?\*\//g;
const MULTI_VALUE_INSERT = /^((?:INSERT|REPLACE)(?: IGNORE)?\s+INTO[\s\S]+?VALUES\s*\([\s\S]*?\))\s*,\s*\(/i;

export function fingerprint(sql: string): string {
  let q = sql;
  // Tools' own statements, recognised as such.
  if (/^SELECT \/\*!40001 SQL_NO_CACHE \*\/ \* FROM `/.test(q)) return 'mysqldump';
  if (/\/\*\w+\.\w+:[0-9]\/[0-9]\*\//.test(q)) return 'percona-toolkit';
  if (q.startsWith('administrator command: ')) return q;
  const call = /^\s*(call\s+\S+)\(/i.exec(q);
  if (call) return call[1].toLowerCase();
  // A multi-row INSERT is cut to its first row before the costlier steps.
  const insert = MULTI_VALUE_INSERT.exec(q);
  if (insert) q = insert[1];

  q = q.replace(MULTI_LINE_COMMENT, '').replace(ONE_LINE_COMMENT, '');
  if (/^use \S+\n?$/i.test(q)) return q.replace(/^use \S+/i, 'use ?');

  // Quoted strings (escaped quotes first), booleans, then numbers (hex, binary, signed, decimal, exponent).
  q = q.replace(/\\["']/g, '').replace(/"[\s\S]*?"/g, '?').replace(/'[\s\S]*?'/g, '?');
  q = q.replace(/\bfalse\b|\btrue\b/gi, '?');
  q = q.replace(/[0-9+-][0-9a-f.xb+-]*/g, '?');
  q = q.replace(/[xb.+-]\?/g, '?');

  // Whitespace: leading cut, one trailing newline dropped, every run of blanks one space; then lower case.
  q = q.replace(/^\s+/, '');
  if (q.endsWith('\n')) q = q.slice(0, -1);
  q = q.replace(/[ \n\t\r\f]+/g, ' ');
  q = q.toLowerCase();
  q = q.replace(/\bnull\b/g, '?');
  // IN (?, ?, ?) and VALUES (?, ?), (?, ?) lists of any length become one.
  q = q.replace(/\b(in|values?)(?:[\s,]*\([\s?,]*\))+/g, '$1(?+)');
  // A SELECT repeated by UNION [ALL] is kept once.
  q = q.replace(/\b(select\s.*?)(?:(\sunion(?:\sall)?)\s\1)+/g, '$1 /*repeat$2*/');
  // LIMIT ?, ? / LIMIT ? OFFSET ? are one shape with LIMIT ? (the first only, as pt-query-digest does).
  q = q.replace(/\blimit \?(?:, ?\?| offset \?)?/, 'limit ?');
  return dropOrderByAsc(q);
}

/** ASC is ORDER BY's default: "order by a asc, b" and "order by a, b" are one shape. */
function dropOrderByAsc(q: string): string {
  const m = /\border by /i.exec(q);
  if (!m) return q;
  const from = m.index + m[0].length;
  const re = /(.+?)\s+asc/iy;
  re.lastIndex = from;
  let out = q.slice(0, from);
  let at = from;
  let r: RegExpExecArray | null;
  while ((r = re.exec(q)) !== null) {
    out += r[1];
    at = re.lastIndex;
  }
  return out + q.slice(at);
}

/** A short stable id of a fingerprint (the first 16 hex digits of its MD5, as pt-query-digest's checksum). */
export function fingerprintId(fp: string): string {
  return createHash('md5').update(fp).digest('hex').slice(-16).toUpperCase();
}

/** The statement as written, literals replaced by `?`: for showing an example without the data it carried. */
export function maskLiterals(sql: string): string {
  return sql
    .replace(/'(?:[^'\\]|\\.|'')*'/g, '?')
    .replace(/"(?:[^"\\]|\\.|"")*"/g, '?')
    .replace(/\b0x[0-9a-f]+\b/gi, '?')
    .replace(/\b[xb]'[0-9a-f]*'/gi, '?')
    .replace(/(^|[^\w$.`])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, '$1?');
}

/** The statement's verb: SELECT, INSERT, ... (after comments). */
export function verbOf(sql: string): string {
  const s = sql.replace(MULTI_LINE_COMMENT, ' ').replace(ONE_LINE_COMMENT, ' ').trimStart();
  const m = /^\(*\s*([A-Za-z]+)/.exec(s);
  return m ? m[1].toUpperCase() : '';
}
