// A scripted Prompter for tests: each question must match the next step of the script, in order; the answer is
// checked with the question's own validator, so a script cannot feed the wizard something a user could not type.
import { PromptCancelled, type Choice, type Prompter } from '../../src/cli/prompts.js';

/** `DEFAULT` takes the question's default; `CANCEL` acts like Ctrl-C. */
export const DEFAULT = Symbol('default');
export const CANCEL = Symbol('cancel');
export type Answer = string | boolean | string[] | typeof DEFAULT | typeof CANCEL;
export type Step = [pattern: RegExp, answer: Answer];

export interface Asked {
  kind: string;
  message: string;
  default?: unknown;
  choices?: string[];
}

export class ScriptedPrompter implements Prompter {
  readonly asked: Asked[] = [];
  constructor(private readonly script: Step[]) {}

  get remaining(): number {
    return this.script.length;
  }

  private next(kind: string, message: string, extra: Omit<Asked, 'kind' | 'message'> = {}): Answer {
    this.asked.push({ kind, message, ...extra });
    const step = this.script.shift();
    if (!step) throw new Error(`unscripted ${kind} question: "${message}"`);
    const [pattern, answer] = step;
    if (!pattern.test(message)) throw new Error(`expected a question matching ${pattern}, got ${kind} "${message}"`);
    if (answer === CANCEL) throw new PromptCancelled();
    return answer;
  }

  async input(q: { message: string; default?: string; validate?: (v: string) => true | string }): Promise<string> {
    const a = this.next('input', q.message, { default: q.default });
    const value = a === DEFAULT ? (q.default ?? '') : String(a);
    const ok = q.validate ? q.validate(value) : true;
    if (ok !== true) throw new Error(`answer "${value}" to "${q.message}" is refused: ${ok}`);
    return value;
  }

  async select<T extends string>(q: { message: string; choices: Choice<T>[]; default?: T }): Promise<T> {
    const a = this.next('select', q.message, { default: q.default, choices: q.choices.map((c) => c.value) });
    const value = (a === DEFAULT ? q.default : a) as T;
    if (!q.choices.some((c) => c.value === value)) throw new Error(`"${String(value)}" is not a choice of "${q.message}"`);
    return value;
  }

  async checkbox<T extends string>(q: { message: string; choices: Choice<T>[] }): Promise<T[]> {
    const a = this.next('checkbox', q.message, { choices: q.choices.map((c) => c.value) });
    const value = (a === DEFAULT ? q.choices.filter((c) => c.checked).map((c) => c.value) : a) as T[];
    for (const v of value) if (!q.choices.some((c) => c.value === v)) throw new Error(`"${v}" is not a choice of "${q.message}"`);
    return value;
  }

  async confirm(q: { message: string; default?: boolean }): Promise<boolean> {
    const a = this.next('confirm', q.message, { default: q.default });
    return a === DEFAULT ? Boolean(q.default) : Boolean(a);
  }

  async password(q: { message: string }): Promise<string> {
    return String(this.next('password', q.message));
  }
}
