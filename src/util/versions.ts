// Comparing dotted version numbers (`8.0.26`, `10.11.6-MariaDB`, `8.2`), once for every layer that needs it.

/** The numeric parts of a version, up to the first part that is not a number: `10.11.6-MariaDB` -> [10, 11, 6]. */
function parts(version: string): number[] {
  const out: number[] = [];
  for (const p of version.split(/[.-]/)) {
    const n = Number.parseInt(p, 10);
    if (!Number.isFinite(n)) break;
    out.push(n);
  }
  return out;
}

/** Compare part by part; a part one side lacks counts as `missing` (0: `8.2` = `8.2.0`). */
function compareParts(x: number[], y: number[], missing: number): number {
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const a = x[i] ?? missing;
    const b = y[i] ?? missing;
    if (a !== b) return a > b ? 1 : -1;
  }
  return 0;
}

/** Negative, zero or positive as a is older than, the same as, or newer than b (`8.2` equals `8.2.0`). */
export function compareVersions(a: string, b: string): number {
  return compareParts(parts(a), parts(b), 0);
}

/** "8.0.26" >= [8, 0, 26]; a version without a patch level ("8.0") is taken as that series' current release. */
export function versionAtLeast(version: string, want: [number, number, number]): boolean {
  return compareParts(parts(version).slice(0, 3), want, Number.POSITIVE_INFINITY) >= 0;
}
