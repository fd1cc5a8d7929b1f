// The facts script's output format, shared by every fact: `@@stackscale:section <name> [<arg>]` lines open a section,
// `@@stackscale:end` closes the output. Each fact (host.ts, packages.ts, php.ts, db.ts, daemons.ts, files.ts) holds the
// sh that prints its section(s) beside the parser that reads them back; gather.ts joins the scripts into one round trip
// and parse.ts joins the parsed values into HostFacts.

/** Marks the start of a section: `@@stackscale:section <name> [<arg>]`. The script ends with MARK_END. */
export const MARK_SECTION = '@@stackscale:section';
export const MARK_END = '@@stackscale:end';

export interface Section {
  name: string;
  /** The rest of the marker line: a PHP version for `php`, a path for `file`; '' when none. */
  arg: string;
  lines: string[];
}

/** The sections of one output, looked up by name. */
export interface Sections {
  /** The first section of that name's lines; [] when there is none. */
  one(name: string): string[];
  /** Every section of that name, in order. */
  all(name: string): Section[];
  has(name: string): boolean;
}

/** Split the script's output into its sections, in order. Lines before the first marker are ignored. */
export function splitSections(output: string): { sections: Section[]; complete: boolean } {
  const sections: Section[] = [];
  let current: Section | undefined;
  let complete = false;
  for (const raw of output.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === MARK_END) {
      complete = true;
      current = undefined;
      continue;
    }
    if (line.startsWith(`${MARK_SECTION} `)) {
      const rest = line.slice(MARK_SECTION.length + 1);
      const space = rest.indexOf(' ');
      current = space < 0 ? { name: rest, arg: '', lines: [] } : { name: rest.slice(0, space), arg: rest.slice(space + 1), lines: [] };
      sections.push(current);
      continue;
    }
    current?.lines.push(line);
  }
  return { sections, complete };
}

export function indexSections(sections: Section[]): Sections {
  return {
    one: (name) => sections.find((s) => s.name === name)?.lines ?? [],
    all: (name) => sections.filter((s) => s.name === name),
    has: (name) => sections.some((s) => s.name === name),
  };
}

/** `key value` lines (the script's own sections) as a map; a repeated key keeps every value. */
export function keyValues(lines: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of lines) {
    const m = /^(\S+)(?:\s(.*))?$/.exec(line);
    if (!m) continue;
    const list = map.get(m[1]) ?? [];
    list.push((m[2] ?? '').trim());
    map.set(m[1], list);
  }
  return map;
}

export const first = (kv: Map<string, string[]>, key: string): string | undefined => kv.get(key)?.[0];

export class FactsParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FactsParseError';
  }
}
