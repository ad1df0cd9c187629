import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/** One pino line of a process's output. */
export interface LogLine {
  level: number;
  time: number;
  msg: string;
  [field: string]: unknown;
}

/**
 * Runs the rowkube CLI from the TypeScript sources as its own process, as a
 * user would run the installed command; output is kept for failure messages.
 */
export class RowkubeProcess {
  readonly output: string[] = [];
  /** What went to stdout alone (a command's report, JSON), without the logs and progress on stderr. */
  readonly stdout: string[] = [];
  private readonly child: ChildProcess;

  /**
   * nodeOptions: flags for node itself, e.g. a heap limit. options.env:
   * variables on top of this process's. options.launcher: the command that
   * runs the CLI instead of node and the sources (e.g. the container image:
   * `podman run … IMAGE`); `args` follow it.
   */
  constructor(
    args: string[],
    nodeOptions: string[] = [],
    options: { env?: NodeJS.ProcessEnv; launcher?: readonly string[] } = {},
  ) {
    const [command, ...prefix] = options.launcher ?? [
      process.execPath,
      ...nodeOptions,
      '--import',
      'tsx',
      'src/cli/run.ts',
    ];
    this.child = spawn(command as string, [...prefix, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.output.push(chunk.toString());
      this.stdout.push(chunk.toString());
    });
    this.child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  /** The process id, for what watches it from outside (CPU use in /proc). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** Waits for the process to end by itself; resolves to its exit code. */
  async exited(): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    const [code] = await once(this.child, 'exit');
    return code as number | null;
  }

  /** What the process printed, as one string. */
  text(): string {
    return this.output.join('');
  }

  /**
   * SIGSTOP: the process is frozen, as a node that stops scheduling it or a
   * long GC pause freezes it; its sockets stay open and its timers do not run.
   */
  pause(): void {
    if (this.running) this.child.kill('SIGSTOP');
  }

  /** SIGCONT after pause(): the process carries on as if no time had passed, which is what it must not believe. */
  resume(): void {
    if (this.running) this.child.kill('SIGCONT');
  }

  /** Not yet exited, nor killed by a signal. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: the process gets no chance to clean up, as in a crash. A paused process dies too. */
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
    // Already gone, by itself or by a signal (kill()): its 'exit' will not come again.
    if (!this.running) return this.child.exitCode;
    this.child.kill('SIGTERM');
    // A paused process would hold the signal until it is continued.
    this.child.kill('SIGCONT');
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

  /** The pino lines of the output at `level` or above (default all), those matching `about` when given. */
  logLines(about?: RegExp, level = 0): LogLine[] {
    const lines: LogLine[] = [];
    for (const text of this.text().split('\n')) {
      if (!text.startsWith('{') || (about !== undefined && !about.test(text))) continue;
      try {
        const line = JSON.parse(text) as LogLine;
        if (line.level >= level) lines.push(line);
      } catch {
        // A line cut in two by the pipe: not a log record.
      }
    }
    return lines;
  }

  lastOutput(lines = 20): string {
    return this.output.join('').split('\n').slice(-lines).join('\n');
  }
}
