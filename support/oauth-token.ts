import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Tokens for the stack's OAUTHBEARER listener, minted by the one minter the
// stack has (deploy/local/lib/oauth.sh, `stack oauth-token`), so tests and
// benchmarks sign exactly as the stack documents.

const stack = fileURLToPath(new URL('../deploy/local/stack', import.meta.url));

export interface MintOptions {
  /** Lifetime in seconds; negative for a token that has already expired. Default 300. */
  ttlSeconds?: number;
  /** Another PEM signing key, for a token the broker must refuse. Default: the stack's key. */
  key?: string;
  /** The principal. Default: the stack's SCRAM user, which holds the prefixed ACLs. */
  sub?: string;
}

/** Mints a token into `file` (replaced in one rename, as a token agent does) and returns it. */
export function mintOAuthToken(file: string, options: MintOptions = {}): string {
  const args = ['oauth-token', '--out', file, '--ttl', String(options.ttlSeconds ?? 300)];
  if (options.key !== undefined) args.push('--key', options.key);
  if (options.sub !== undefined) args.push('--sub', options.sub);
  execFileSync(stack, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(file, 'utf8').trim();
}
