import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Secrets stay out of the configuration text: string values may hold
 * `${env:NAME}` (an environment variable) or `${file:PATH}` (a file's content,
 * trailing newline removed; relative to the config file). Returns the value
 * with references replaced, or throws naming the reference.
 */
export function substituteReferences(value: string, configDir: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{(env|file):([^}]+)\}/g, (_match, kind: string, ref: string) => {
    if (kind === 'env') {
      const found = env[ref];
      if (found === undefined)
        throw new Error(`\${env:${ref}} refers to an environment variable that is not set`);
      return found;
    }
    try {
      return readFileSync(resolve(configDir, ref), 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new Error(`\${file:${ref}} cannot be read: ${(error as Error).message}`);
    }
  });
}
