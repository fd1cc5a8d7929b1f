// Sizes as operators write them: `40M`, `8G`, `512MiB`, `1.5G`, or a plain number of bytes. K, M, G and T are binary
// (KiB, MiB, GiB, TiB) with or without the `B`/`iB`, as in php.ini and the MySQL option files these numbers end up in.

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|(b))?\s*$/i;

/** Bytes, or undefined when the text is not a size. Fractions of a unit round down to whole bytes. */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : undefined;
  const m = SIZE.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? m[3] ?? '').toLowerCase();
  if (UNITS[unit] === 1 && m[1].includes('.')) return undefined; // no fractions of a byte
  const bytes = Math.floor(Number(m[1]) * UNITS[unit]);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

export const KiB = 2 ** 10;
export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

/** `7.8 GiB`, `40 MiB`, `512 KiB`: one decimal where it is not whole, for derivation texts. */
export function formatBytes(bytes: number): string {
  return bytesText(bytes, false);
}

/** A live figure (`status`): the decimal is kept (`1.0 MiB`), so a rounded value does not read as an exact one. */
export function formatLiveBytes(bytes: number): string {
  return bytesText(bytes, true);
}

function bytesText(bytes: number, keepDecimal: boolean): string {
  const units: [number, string][] = [
    [2 ** 40, 'TiB'],
    [GiB, 'GiB'],
    [MiB, 'MiB'],
    [KiB, 'KiB'],
  ];
  for (const [size, name] of units) {
    if (Math.abs(bytes) >= size) {
      const n = bytes / size;
      const shown = Number.isInteger(n) ? String(n) : keepDecimal ? n.toFixed(1) : n.toFixed(1).replace(/\.0$/, '');
      return `${shown} ${name}`;
    }
  }
  return `${bytes} B`;
}
