// The unified diff of one file, made once for every host whose texts differ only in lines the host's file lacks.
// Hosts of one role render the same file but for a few lines naming the host ("; Profile 300, host web3"), and they
// usually hold the same file (the distribution's default www.conf or nginx.conf), whose Myers diff against the
// rendered one costs ~3-7 ms of CPU a host. Myers' algorithm (jsdiff's diffLines) only ever asks whether a line of
// the old text equals a line of the new one: a new line that is in no line of the old text can be replaced by any
// other such line without changing the edit script. So each new line absent from the old text is replaced by a
// placeholder naming its index, the patch of those texts is made once (memo), and each host's own lines are put back
// into its `+` lines. test/unit/plan-patch.test.ts holds the result to jsdiff's own, line for line.
import { formatPatch, structuredPatch, type StructuredPatch } from 'diff';
import { sha256 } from '../util/sha256.js';

/** A line's placeholder: NUL, the line's index, NUL (texts holding a NUL are diffed as they are, unshared). */
const placeholder = (i: number): string => `\u0000${i}\u0000`;
const PLACEHOLDER_LINE = /^\+\u0000(\d+)\u0000/;

/** jsdiff's line tokens: each line with its own `\n` or `\r\n`; the last without one when the text does not end so. */
function tokens(text: string): string[] {
  const parts = text.split(/(\n|\r\n)/);
  if (!parts[parts.length - 1]) parts.pop();
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += 2) out.push(parts[i] + (parts[i + 1] ?? ''));
  return out;
}

/** Structured patches by old and new name, the old text and the new text with its placeholders. */
export class PatchMemo {
  private readonly patches = new Map<string, StructuredPatch>();
  private readonly oldLines = new Map<string, Set<string>>();

  constructor(private readonly limit = 500) {}

  /** How many patches were made (not taken from the memo). */
  made = 0;

  /** What createTwoFilesPatch(oldName, newName, before, after, undefined, undefined, { context: 3 }) returns. */
  patch(oldName: string, newName: string, before: string, after: string): string {
    const beforeSha = sha256(before);
    let old = this.oldLines.get(beforeSha);
    if (!old) {
      old = new Set(tokens(before));
      if (this.oldLines.size >= this.limit) this.oldLines.clear();
      this.oldLines.set(beforeSha, old);
    }
    const lines = tokens(after);
    const own: string[] = [];
    const shaped = lines.map((token, i) => {
      if (old.has(token)) return token;
      const body = token.replace(/\r?\n$/, '');
      own[i] = body;
      return placeholder(i) + token.slice(body.length);
    });
    // A NUL in either text could make a placeholder equal an old line, or a line look like a placeholder.
    const shared = !before.includes('\u0000') && !after.includes('\u0000');
    const text = shared ? shaped.join('') : after;
    const key = `${oldName}\u0000${newName}\u0000${beforeSha}${sha256(text)}`;
    let structured = this.patches.get(key);
    if (!structured) {
      structured = structuredPatch(oldName, newName, before, text, undefined, undefined, { context: 3 });
      this.made++;
      if (this.patches.size >= this.limit) this.patches.clear();
      this.patches.set(key, structured);
    }
    if (!shared) return formatPatch(structured);
    const hunks = structured.hunks.map((h) => ({
      ...h,
      lines: h.lines.map((l) => {
        const m = PLACEHOLDER_LINE.exec(l);
        return m ? `+${own[Number(m[1])]}${l.slice(m[0].length)}` : l;
      }),
    }));
    return formatPatch({ ...structured, hunks });
  }
}
