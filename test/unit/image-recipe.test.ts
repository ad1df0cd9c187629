import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// deploy/image/build (buildah, here) and deploy/image/Dockerfile (Docker, for
// users) must make the same image where it matters to whoever runs it: the
// user (Kubernetes' runAsNonRoot and a chart's securityContext name it), the
// entrypoint, the working directory and NODE_ENV. Only the Dockerfile cannot
// be built on this machine, so this is what keeps it honest.

const dockerfile = readFileSync('deploy/image/Dockerfile', 'utf8');
const build = readFileSync('deploy/image/build', 'utf8');
const lib = readFileSync('deploy/image/lib.sh', 'utf8');

function match(text: string, pattern: RegExp, what: string): string {
  const found = pattern.exec(text);
  if (!found?.[1]) throw new Error(`${what} not found`);
  return found[1];
}

describe('the image recipes agree', () => {
  it('on the user', () => {
    const uid = match(lib, /^IMAGE_UID=(\d+)$/m, 'IMAGE_UID in lib.sh');
    const gid = match(lib, /^IMAGE_GID=(\d+)$/m, 'IMAGE_GID in lib.sh');
    expect(match(build, /--user "([^"]+)"/, 'the user in build')).toBe('$IMAGE_UID:$IMAGE_GID');
    expect(match(dockerfile, /^USER (\S+)$/m, 'USER in the Dockerfile')).toBe(`${uid}:${gid}`);
    expect(dockerfile).toContain(`--uid ${uid} --gid ${gid}`);
    expect(Number(uid)).toBeGreaterThan(0);
  });

  it('on the entrypoint', () => {
    const built = JSON.parse(match(build, /--entrypoint '([^']+)'/, 'the entrypoint in build')) as unknown;
    const docker = JSON.parse(
      match(dockerfile, /^ENTRYPOINT (.+)$/m, 'ENTRYPOINT in the Dockerfile'),
    ) as unknown;
    expect(docker).toEqual(built);
    expect(built).toEqual(['/usr/bin/node', '/app/bin/rowkube.js']);
  });

  it('on the working directory and the environment', () => {
    expect(match(build, /--workingdir (\S+)/, 'the workingdir in build')).toBe('/app');
    expect(match(dockerfile, /^WORKDIR (\S+)$(?![\s\S]*^FROM )/m, 'the last WORKDIR in the Dockerfile')).toBe(
      '/app',
    );
    expect(build).toContain('--env NODE_ENV=production');
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production$/m);
  });

  it('on what goes into /app', () => {
    for (const part of ['bin', 'schemas', 'package.json']) {
      expect(build).toMatch(new RegExp(`cp -a [^\\n]*\\b${part}\\b`));
      expect(dockerfile).toContain(part);
    }
    expect(build).toContain('npm ci --omit=dev');
    expect(dockerfile).toContain('npm ci --omit=dev');
    // The dashboard's files, where the compiled server looks for them.
    expect(build).toContain('cp -a src/observability/ui/assets "$stage/src/observability/ui/"');
    expect(dockerfile).toContain('COPY src/observability/ui/assets /app/src/observability/ui/assets');
  });
});
