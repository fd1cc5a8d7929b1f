// The hex SHA-256 of a text or bytes: how managed files, rendered files and memo keys are compared.
import { createHash } from 'node:crypto';

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
