// What became of a request that failed: the kind it is counted as, and whether it is sent again. Apart from the engine
// so the rules read in one place.
import type http from 'node:http';
import type { ErrorKind } from './types.js';

export class TimeoutError extends Error {
  readonly code = 'STACKSCALE_TIMEOUT';
}

/** What went wrong with a request that got no HTTP answer. */
export function errorKind(err: NodeJS.ErrnoException): ErrorKind {
  switch (err.code) {
    case 'STACKSCALE_TIMEOUT':
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'refused'; // no connection could be made
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return 'reset';
    default:
      return 'other';
  }
}

export function statusKind(status: number): ErrorKind | undefined {
  if (status === 429) return 'http_429';
  if (status >= 500) return 'http_5xx';
  if (status >= 400) return 'http_4xx';
  return undefined;
}

/**
 * A GET that failed because the server closed the kept-alive connection it was sent on before answering: the race
 * every HTTP client meets when a server drops an idle connection (its keep-alive timeout, or nginx freeing
 * connections when it runs short) just as the client reuses it. Browsers and most load tools send such a request again
 * on a new connection, and Node's documentation asks the same of its users (`request.reusedSocket`); counted as an
 * error, it would blame the site for the client's choice. Only once, only a GET (a POST may have been acted on), and
 * only on a reused connection: a reset on a fresh one is the server's.
 */
export function resendable(err: NodeJS.ErrnoException, req: http.ClientRequest, method: string, answered: boolean): boolean {
  return method === 'GET' && req.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
}
