// `node --import tsx bench/cpu-summary.ts FILE.cpuprofile [--from S] [--to S] [--top N] [--json]`:
// where a process's CPU went, from a profile it wrote (BENCH_CPU_PROFILE of
// bench:fairness and bench:scale, or node --cpu-prof): self time by function
// and by module, time by rowkube area (library time counted for the project
// code that called it), and the longest busy stretches, i.e. how long the
// event loop was held and by what (bench/support/cpu-profile-summary.ts).
// --from/--to keep the samples of a window, in seconds after the start.

import { parseArgs } from 'node:util';
import { readCpuProfile, summarizeCpuProfile, type TimeShare } from './support/cpu-profile-summary.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    top: { type: 'string', default: '15' },
    json: { type: 'boolean', default: false },
  },
});
const file = positionals[0];
if (file === undefined) {
  process.stderr.write('usage: cpu-summary FILE.cpuprofile [--from S] [--to S] [--top N] [--json]\n');
  process.exit(2);
}
const number = (name: string, text: string | undefined) => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`cpu-summary: --${name} ${text} is not a number of seconds ≥ 0\n`);
    process.exit(2);
  }
  return n;
};
const top = number('top', values.top) ?? 15;
const summary = summarizeCpuProfile(readCpuProfile(file), {
  fromSeconds: number('from', values.from),
  toSeconds: number('to', values.to),
});
const say = (line: string) => process.stdout.write(`${line}\n`);
if (values.json) {
  say(JSON.stringify(summary));
} else {
  say(
    `${summary.seconds} s profiled: busy ${summary.busySeconds} s, idle ${summary.idleSeconds} s, GC ${summary.gcSeconds} s`,
  );
  const table = (title: string, rows: TimeShare[]) => {
    say(`${title} (of busy time):`);
    for (const row of rows.slice(0, top))
      say(`  ${row.ms.toFixed(0).padStart(8)} ms ${row.pct.toFixed(1).padStart(5)} %  ${row.name}`);
  };
  table('self time by function', summary.byFunction);
  table('self time by module', summary.byModule);
  table('time by rowkube area', summary.byArea);
  say('longest busy stretches (no idle sample between):');
  for (const s of summary.longestBusy) {
    say(`  ${s.ms} ms at ${s.atSeconds} s:`);
    for (const a of s.areas.slice(0, 3)) say(`      ${a.pct.toFixed(0).padStart(3)} %  ${a.name}`);
    for (const f of s.functions.slice(0, 3)) say(`      ${f.pct.toFixed(0).padStart(3)} %  ${f.name}`);
  }
}
