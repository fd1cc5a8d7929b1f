// Confirmation before a change: through the one prompts module (src/cli/prompts.ts), which tests replace.
import { UserError, EXIT } from '../errors.js';
import type { Io } from './io.js';
import { prompter } from './prompts.js';

/**
 * `--yes` goes ahead; on a TTY the user is asked; without either nothing happens and the user is told to pass --yes.
 * Returns false when the user said no.
 */
export async function confirmOrRefuse(io: Io, yes: boolean | undefined, question: string, what: string): Promise<boolean> {
  if (yes) return true;
  if (!io.isTTY) {
    throw new UserError({ message: `refusing to ${what} without confirmation: no terminal to ask on, and --yes was not given`, fix: 'pass --yes to go ahead' }, EXIT.error);
  }
  return prompter().confirm({ message: question, default: false });
}
