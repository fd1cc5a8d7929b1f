// The questions interface: what the init wizard (src/init) asks through and what the CLI implements on a terminal
// (src/cli/prompts.ts). It lives below both so the wizard does not depend on the CLI; tests script it.

export interface Choice<T extends string> {
  value: T;
  name: string;
  description?: string;
  checked?: boolean;
}

/** Returns true when the answer is acceptable, else the message shown under the question. */
export type Validate = (value: string) => true | string;

export interface Prompter {
  input(q: { message: string; default?: string; validate?: Validate }): Promise<string>;
  select<T extends string>(q: { message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  checkbox<T extends string>(q: { message: string; choices: Choice<T>[]; required?: boolean }): Promise<T[]>;
  confirm(q: { message: string; default?: boolean }): Promise<boolean>;
  password(q: { message: string }): Promise<string>;
}

/** The user pressed Ctrl-C (or closed the terminal) while a question was open. */
export class PromptCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'PromptCancelled';
  }
}
