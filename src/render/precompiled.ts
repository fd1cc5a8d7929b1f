// Templates precompiled at build time. Empty in the sources (tests that run from src/ compile at run time); in dist/,
// scripts/bundle.mjs replaces this module with every template of templates/ run through Handlebars.precompile with
// OPTIONS, and the source it came from, so the CLI neither parses nor compiles a template (50-90 ms per run on a
// 2-core machine). templates.ts uses an entry only when its source and options are exactly what it would compile.
export interface Precompiled {
  source: string;
  spec: unknown;
}
export const OPTIONS: object | undefined = undefined;
export const PRECOMPILED: Record<string, Precompiled> = {};
