import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * Runs the rowkube CLI from the TypeScript sources as its own process, as a
 * user would run the installed command; output is kept for failure messages.
 */
export class RowkubeProcess {
  readonly output: string[] = [];
  private readonly child: ChildProcess;

  /**
   * nodeOptions: flags for node itself, e.g. a heap limit. launcher: the
   * command that runs the CLI instead of node and the sources (e.g. the
   * container image: `podman run … IMAGE`); `args` follow it.
   */
  constructor(args: string[], nodeOptions: string[] = [], launcher?: readonly string[]) {
    const [command, ...prefix] = launcher ?? [
      process.execPath,
      ...nodeOptions,
      '--import',
      'tsx',
      'src/cli/run.ts',
    ];
    this.child = spawn(command as string, [...prefix, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** Waits for the process to end by itself; resolves to its exit code. */
  async exited(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const [code] = await once(this.child, 'exit');
    return code as number | null;
  }

  /** What the process printed, as one string. */
  text(): string {
    return this.output.join('');
  }

  /** SIGKILL: the process gets no chance to clean up, as in a crash. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await once(this.child, 'exit');
  }

  /**
   * SIGTERM, then wait for the exit code. A process that has not stopped
   * within `timeoutMs` is killed, and stop() throws with its last output: a
   * shutdown that hangs is a defect to see, not a test run that never ends.
   */
  async stop(timeoutMs = 60_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const exit = once(this.child, 'exit');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const outcome = await Promise.race([exit, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.child.kill('SIGKILL');
      await exit;
      throw new Error(
        `rowkube did not stop within ${timeoutMs / 1_000} s of SIGTERM (killed); its last output:\n${this.lastOutput(30)}`,
      );
    }
    return (outcome as unknown[])[0] as number | null;
  }

  lastOutput(lines = 20): string {
    return this.output.join('').split('\n').slice(-lines).join('\n');
  }
}
