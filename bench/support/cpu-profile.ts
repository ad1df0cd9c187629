import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

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
