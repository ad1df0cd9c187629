// Preloaded into the `rowkube run` child (`--import` of this file in
// BENCH_NODE_OPTIONS, with ROWKUBE_CPU_PROFILE_DIR): a CPU profile of the
// whole process, written as <dir>/rowkube-<pid>.cpuprofile when it exits.
// Node 20 refuses --cpu-prof in NODE_OPTIONS, which is how a bench reaches
// its child, so the profiler is started through the inspector instead. Plain
// JavaScript: it loads before tsx. `node --import tsx bench/cpu-summary.ts`
// reads the file.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.ROWKUBE_CPU_PROFILE_DIR;
if (dir === undefined || dir === '') {
  throw new Error('cpu-profile-preload: set ROWKUBE_CPU_PROFILE_DIR to the directory for the profile');
}
const session = new Session();
session.connect();
session.post('Profiler.enable');
// 1 ms, V8's default: fine enough for stages that hold the loop for tens of ms.
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
// The main thread's session answers synchronously, so this runs inside 'exit'.
process.on('exit', () => {
  session.post('Profiler.stop', (error, result) => {
    if (error) process.stderr.write(`cpu-profile-preload: ${error.message}\n`);
    else writeFileSync(join(dir, `rowkube-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
