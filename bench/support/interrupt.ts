// Ctrl-C in the middle of a run must not leave a replication slot behind: a
// slot pins PostgreSQL's WAL for as long as it exists. Phases register their
// clean-up here; SIGINT/SIGTERM runs what is registered, then exits.

const cleanups = new Set<() => Promise<void>>();
let installed = false;

/** Runs `cleanup` on SIGINT/SIGTERM until the returned function unregisters it. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  if (!installed) {
    installed = true;
    const handler = (signal: NodeJS.Signals) => {
      process.stderr.write(`bench: ${signal}: cleaning up\n`);
      const all = [...cleanups].reverse();
      cleanups.clear();
      void Promise.allSettled(all.map((c) => c())).then(() => process.exit(130));
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** `run` at most once, however often it is called: from `finally` and from an interrupt alike. */
export function once(run: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= run();
    return done;
  };
}
