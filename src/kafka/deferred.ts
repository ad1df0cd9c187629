import type { RowkubeError } from '../core/errors.js';

/** A promise with its settle functions, for work that finishes in another call. */
export interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: RowkubeError) => void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: RowkubeError) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller that stopped listening (its connector is restarting) must not
  // crash the process with an unhandled rejection; callers that await still see it.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
