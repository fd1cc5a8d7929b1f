// The fingerprint of an OpenPGP public key (RFC 4880 section 12.2, RFC 9580 section 5.5.4), so a repository key can be
// compared with the one the operator pinned without gpg on either machine. Only the primary key's packet is read.
import { createHash } from 'node:crypto';

/** The binary packets of an ASCII-armoured block (`-----BEGIN PGP PUBLIC KEY BLOCK-----`), or the bytes as given. */
export function dearmor(data: Buffer): Buffer {
  const text = data.toString('latin1');
  const begin = text.indexOf('-----BEGIN PGP PUBLIC KEY BLOCK-----');
  if (begin < 0) return data;
  const lines = text.slice(begin).split(/\r?\n/).slice(1);
  const body: string[] = [];
  let inHeaders = true;
  for (const line of lines) {
    if (line.startsWith('-----END')) break;
    if (inHeaders) {
      if (line.trim() === '') inHeaders = false;
      else if (!/^[A-Za-z-]+: /.test(line)) {
        inHeaders = false;
        body.push(line);
      }
      continue;
    }
    if (line.startsWith('=')) continue; // CRC-24 checksum line
    body.push(line.trim());
  }
  return Buffer.from(body.join(''), 'base64');
}

export function isArmoured(data: Buffer): boolean {
  return data.toString('latin1').includes('-----BEGIN PGP PUBLIC KEY BLOCK-----');
}

/** Upper-case hex fingerprint of the first (primary) public key packet; throws on anything else. */
export function keyFingerprint(data: Buffer): string {
  const bin = dearmor(data);
  if (bin.length < 3) throw new Error('not an OpenPGP public key (empty)');
  const b = bin[0];
  if ((b & 0x80) === 0) throw new Error('not an OpenPGP public key (bad packet header)');
  let tag: number;
  let len: number;
  let at: number;
  if (b & 0x40) {
    tag = b & 0x3f;
    const o1 = bin[1];
    if (o1 < 192) [len, at] = [o1, 2];
    else if (o1 < 224) [len, at] = [((o1 - 192) << 8) + bin[2] + 192, 3];
    else if (o1 === 255) [len, at] = [bin.readUInt32BE(2), 6];
    else throw new Error('not an OpenPGP public key (partial length)');
  } else {
    tag = (b >> 2) & 0x0f;
    const lt = b & 3;
    if (lt === 0) [len, at] = [bin[1], 2];
    else if (lt === 1) [len, at] = [bin.readUInt16BE(1), 3];
    else if (lt === 2) [len, at] = [bin.readUInt32BE(1), 5];
    else throw new Error('not an OpenPGP public key (indeterminate length)');
  }
  if (tag !== 6) throw new Error(`not an OpenPGP public key (first packet has tag ${tag}, a public key has 6)`);
  const body = bin.subarray(at, at + len);
  if (body.length !== len) throw new Error('not an OpenPGP public key (truncated)');
  const version = body[0];
  if (version === 4) {
    const head = Buffer.from([0x99, (len >> 8) & 0xff, len & 0xff]);
    return createHash('sha1').update(head).update(body).digest('hex').toUpperCase();
  }
  if (version === 5 || version === 6) {
    const head = Buffer.alloc(5);
    head[0] = version === 5 ? 0x9a : 0x9b;
    head.writeUInt32BE(len, 1);
    return createHash('sha256').update(head).update(body).digest('hex').toUpperCase();
  }
  throw new Error(`unsupported OpenPGP key version ${version}`);
}

/** `2B9A 1F3C ...`: the fingerprint in groups of four, as gpg prints it. */
export function formatFingerprint(fpr: string): string {
  return fpr.replace(/(.{4})(?=.)/g, '$1 ');
}
