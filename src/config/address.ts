// What the site file and init accept as an address: an IPv4 or IPv6 address, or a DNS name. Anything else (a port
// glued on, `999.1.1.1`, a 3000-character string) would end up in bind lines and SSH connects; it is refused here.
import { isIP } from 'node:net';

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** True, or why `text` is not an IPv4 address, an IPv6 address or a DNS name. */
export function checkAddress(text: string): true | string {
  const t = text.trim();
  if (isIP(t)) return true;
  if (t.length === 0) return 'an IP address or a DNS name, not an empty text';
  if (t.length > 253) return `an IP address or a DNS name (at most 253 characters), not ${t.length} characters`;
  if (/^[^:\s]+:\d+$/.test(t)) return 'an address without a port: give the port as port: (or NAME=ADDRESS:PORT to init)';
  if (/^[\d.]+$/.test(t)) return 'an IPv4 address: four numbers from 0 to 255 joined by dots';
  if (t.includes(':')) return 'an IPv6 address (like fd00::5), an IPv4 address or a DNS name';
  const labels = t.replace(/\.$/, '').split('.');
  if (labels.every((l) => LABEL.test(l))) return true;
  return 'an IP address or a DNS name: labels of letters, digits and -, joined by dots';
}
