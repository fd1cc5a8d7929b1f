/** The colours human output uses. The CLI picks ANSI or plain (src/cli/io.ts); formatters below it only call these. */
export interface Style {
  bold(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  cyan(s: string): string;
}
