// The first failure of a running stage, kept: `crashed` rejects with it (what
// the stage's main loop waits on) and `check()` throws it, so that work still
// queued inside kafkajs stops instead of committing offsets past a failure.

export class CrashLatch {
  private error: { value: unknown } | undefined;
  private reject: (error: unknown) => void = () => undefined;
  /** Rejects with the first failure; never resolves. */
  readonly crashed: Promise<never> = new Promise<never>((_, reject) => {
    this.reject = reject;
  });

  constructor() {
    this.crashed.catch(() => undefined);
  }

  crash(error: unknown): void {
    this.error ??= { value: error };
    this.reject(error);
  }

  /** Throws the first failure, if there was one. */
  check(): void {
    if (this.error !== undefined) throw this.error.value;
  }
}
