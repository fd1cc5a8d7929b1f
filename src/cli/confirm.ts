// The one module prompts go through (changesets' habit): commands ask here, tests replace `prompts.confirm`.
// The prompt library is imported lazily, so only a command that really asks pays for loading it.
import { UserError, EXIT } from '../errors.js';
import type { Io } from './io.js';

export const prompts = {
  async confirm(message: string): Promise<boolean> {
    const { confirm } = await import('@inquirer/prompts');
    return confirm({ message, default: false });
  },
};

/**
 * `--yes` goes ahead; on a TTY the user is asked; without either nothing happens and the user is told to pass --yes.
 * Returns false when the user said no.
 */
export async function confirmOrRefuse(io: Io, yes: boolean | undefined, question: string, what: string): Promise<boolean> {
  if (yes) return true;
  if (!io.isTTY) {
    throw new UserError({ message: `refusing to ${what} without confirmation: no terminal to ask on, and --yes was not given`, fix: 'pass --yes to go ahead' }, EXIT.error);
  }
  return prompts.confirm(question);
}
