import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RowkubeProcess } from './rowkube-process.js';

// The container image that deploy/image/build makes, run with podman on the
// image's private storage (deploy/image/podman) as a user would run it.

export const ROWKUBE_IMAGE = 'localhost/rowkube:latest';
const PODMAN = 'deploy/image/podman';

/** Runs podman with `args`; resolves with its standard output. */
export async function podman(args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await promisify(execFile)(PODMAN, args, {
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * `rowkube ARGS` in a container of the image, named `name` (so that it can be
 * removed whatever happens to the podman client). podmanArgs go before the
 * image: mounts, environment, network. SIGTERM to the process reaches rowkube
 * (podman forwards signals).
 */
export function runInImage(name: string, podmanArgs: string[], args: string[]): RowkubeProcess {
  return new RowkubeProcess(args, [], {
    launcher: [PODMAN, 'run', '--rm', '--name', name, ...podmanArgs, ROWKUBE_IMAGE],
  });
}

/** Fails with what to do when the image has not been built (scripts/test.sh builds it before the tests). */
export async function requireImage(): Promise<void> {
  const exists = await podman(['image', 'exists', ROWKUBE_IMAGE]).then(
    () => true,
    () => false,
  );
  if (!exists) throw new Error(`no image ${ROWKUBE_IMAGE}: build it first with deploy/image/build`);
}

/** Removes the container `name` if it is still there (a test that failed half-way). */
export async function removeContainer(name: string): Promise<void> {
  await podman(['rm', '--force', '--ignore', name]).catch(() => undefined);
}
