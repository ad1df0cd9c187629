import { loadConfig } from '../load-config.js';

/** `rowkube validate --config F`: checks the file and says what it configures. */
export async function validateCommand(configPath: string, out: NodeJS.WritableStream): Promise<number> {
  const config = loadConfig(configPath);
  const tables = config.sources.reduce((n, s) => n + s.tables.length, 0);
  const resources = config.forms.reduce((n, f) => n + f.resources.length, 0);
  out.write(
    `${configPath}: valid — ${config.sources.length} source(s), ${tables} table(s) captured, ` +
      `${config.hubs.length} hub(s), ${config.forms.length} form(s) with ${resources} resource(s)\n`,
  );
  return 0;
}
