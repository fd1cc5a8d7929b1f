// The one module every question goes through (changesets' habit): commands ask a Prompter, tests install a scripted
// one with usePrompter(). The prompt library is imported lazily, so only a command that really asks pays for it, and
// `stackscale --help` never loads it.
import { EXIT, UserError } from '../errors.js';
import { PromptCancelled, type Prompter } from '../util/prompter.js';

export { PromptCancelled, type Choice, type Prompter, type Validate } from '../util/prompter.js';

/** Questions on the real terminal, through @inquirer/prompts. Refuses outright without one: CI must never hang. */
export const terminalPrompter: Prompter = {
  input: (q) => ask(async (p) => p.input({ message: q.message, default: q.default, validate: q.validate })),
  select: (q) => ask(async (p) => p.select({ message: q.message, choices: q.choices, default: q.default })),
  checkbox: (q) => ask(async (p) => p.checkbox({ message: q.message, choices: q.choices, required: q.required })),
  confirm: (q) => ask(async (p) => p.confirm({ message: q.message, default: q.default })),
  password: (q) => ask(async (p) => p.password({ message: q.message, mask: true })),
};

type Inquirer = typeof import('@inquirer/prompts');

async function ask<T>(fn: (p: Inquirer) => Promise<T>): Promise<T> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new UserError({ message: 'no terminal to ask on', fix: 'run on a terminal, or pass the answers as flags' }, EXIT.invalidInput);
  }
  const inquirer = await import('@inquirer/prompts');
  try {
    return await fn(inquirer);
  } catch (err) {
    // @inquirer throws ExitPromptError on Ctrl-C / a closed terminal; callers see one error class of ours.
    if (err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError')) throw new PromptCancelled();
    throw err;
  }
}

let current: Prompter = terminalPrompter;

/** The prompter commands ask through. */
export function prompter(): Prompter {
  return current;
}

/** Install another prompter (tests); returns a function that puts the previous one back. */
export function usePrompter(p: Prompter): () => void {
  const previous = current;
  current = p;
  return () => {
    current = previous;
  };
}
