import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure logic without I/O and runs anywhere; `integration`
// talks to the real local stack (deploy/local/stack) through the variables that
// `deploy/local/stack env` prints, so scripts/test.sh brings the stack up first.
export default defineConfig({
  test: {
    // Real databases, a broker and an apiserver share a 2-core machine: test
    // files run one after another so that they do not starve each other of CPU.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Each test waits on real services: give it room on a busy machine.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
