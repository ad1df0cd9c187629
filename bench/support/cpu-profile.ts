import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// BENCH_CPU_PROFILE=<dir>: the throughput phase of each database is recorded
// as <dir>/<database>-throughput.cpuprofile (open it in Chrome DevTools or
// speedscope), so that a low events/s figure comes with where the time went.
// Only that phase: the writer and start-up would drown the capture path.

export async function withCpuProfile<T>(
  dir: string | undefined,
  name: string,
  run: () => Promise<T>,
): Promise<T> {
  if (dir === undefined || dir === '') return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

/**
 * BENCH_CPU_PROFILE=<dir> for a bench's `rowkube run` child: the variables
 * that make it profile itself from start to exit (cpu-profile-preload.mjs),
 * writing <dir>/rowkube-<pid>.cpuprofile. NODE_OPTIONS carries the preload
 * on top of `nodeOptions`; summarize with bench/cpu-summary.ts.
 */
export function childCpuProfileEnv(
  dir: string | undefined,
  nodeOptions: string | undefined,
): NodeJS.ProcessEnv | undefined {
  const preload =
    dir === undefined || dir === ''
      ? undefined
      : `--import ${fileURLToPath(new URL('./cpu-profile-preload.mjs', import.meta.url))}`;
  const options = [process.env.NODE_OPTIONS, nodeOptions, preload].filter(Boolean).join(' ');
  if (options === '') return undefined;
  return preload === undefined
    ? { NODE_OPTIONS: options }
    : { NODE_OPTIONS: options, ROWKUBE_CPU_PROFILE_DIR: resolve(dir as string) };
}
