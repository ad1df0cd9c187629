import { pino } from 'pino';
import { StackEnvError } from '../../support/stack-env.js';
import { describe } from './report.js';

// What every benchmark's entry shares: progress lines on stdout before the
// final JSON line, rowkube's and kafkajs's own logs (warnings and errors,
// BENCH_LOG_LEVEL for more) on stderr so that stdout stays readable, and the
// way it starts and ends.

export const say = (line: string): void => void process.stdout.write(`${line}\n`);

export const benchLogger = () =>
  pino({ name: 'rowkube-bench', level: process.env.BENCH_LOG_LEVEL ?? 'warn' }, pino.destination(2));

/**
 * Reads the bench's environment (exit code 2 with the message when the stack
 * is not there or a knob is wrong), runs `main` and exits with its code:
 * kafkajs, the drivers and the HTTP agents may keep timers alive after
 * everything was closed or cleaned up.
 */
export function runBench<E>(name: string, readEnv: () => E, main: (env: E) => Promise<number>): void {
  let env: E;
  try {
    env = readEnv();
  } catch (error) {
    if (!(error instanceof StackEnvError)) throw error;
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(2);
  }
  main(env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${name} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}

/** A phase that failed, as the final JSON line reports it. */
export type Failed = { error: string };

/** A phase's figures before it ran; typed as the union so that assignments made in closures are not narrowed away. */
export const notRun = <T>(): T | Failed => ({ error: 'not run' });

/** The phases of one run, in order; `failed` decides the exit code. */
export class Phases {
  failed = false;

  constructor(private readonly say: (line: string) => void) {}

  /** Runs one phase; a failure is said, kept for the JSON line by `onError`, and rethrown. */
  async run<T>(name: string, body: () => Promise<T>, onError: (failure: Failed) => void): Promise<T> {
    try {
      return await body();
    } catch (error) {
      this.failed = true;
      onError({ error: describe(error) });
      this.say(`${name}: FAILED: ${describe(error)}`);
      throw error;
    }
  }
}
