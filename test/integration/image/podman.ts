// podman for the image tests: run it (synchronously, with a timeout), say why it cannot run
// containers here (after making the local Node 24 base images if they are missing: image
// registries cannot be reached here), build the image the way users do (scripts/build-image.sh),
// and read an image's size and layers.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../support/wait.ts';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The local Node 24 base (scripts/install-podman.sh), for this machine's platform. */
export const BASE = process.env.CHAINPRICE_TEST_BASE_IMAGE || 'localhost/chainprice-test-node:24';
/** The same for amd64 and arm64, as one manifest list (scripts/install-arm64.sh). */
export const MULTIARCH_BASE = `${BASE}-multiarch`;

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function podman(args: string[], timeoutMs = 120_000): Ran {
  const result = spawnSync('podman', args, { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  if (result.error) return { status: null, stdout: '', stderr: String(result.error) };
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** podman's output, or a failed assertion with all of it. */
export function ok(args: string[], timeoutMs?: number): string {
  const result = podman(args, timeoutMs);
  assert.equal(
    result.status,
    0,
    `podman ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

/**
 * Why podman cannot run a container of `base` here, or null when it can. A missing base is made by
 * `setup` (a script under scripts/, which exits 0 with a message when it cannot make it).
 */
export function podmanUnavailable(base = BASE, setup = 'scripts/install-podman.sh'): string | null {
  const info = podman(['info', '--format', '{{.Host.OCIRuntime.Name}}'], 60_000);
  if (info.status !== 0)
    return `podman cannot run here (${(info.stderr || info.stdout).trim().split('\n')[0] || 'not installed'}); scripts/install-podman.sh sets it up`;
  if (podman(['image', 'exists', base]).status !== 0) {
    const made = spawnSync('bash', [setup], { cwd: ROOT, stdio: 'inherit' });
    if (made.status !== 0 || podman(['image', 'exists', base]).status !== 0)
      return `the base image ${base} is missing and ${setup} could not make it`;
  }
  const probe = podman(['run', '--rm', '--network', 'none', BASE, 'node', '-p', '1+1'], 60_000);
  if (probe.status !== 0 || probe.stdout.trim() !== '2')
    return `podman cannot start a container here: ${(probe.stderr || probe.stdout).trim().split('\n').pop()}`;
  return null;
}

export interface Built {
  /** The image's size as podman counts it (its layers, uncompressed). */
  bytes: number;
  /** Each layer that holds files: its size and the Containerfile line that made it. */
  layers: { bytes: number; createdBy: string }[];
  seconds: number;
}

/** Builds `tag` with scripts/build-image.sh, as the docs and CI do; its size and layers. */
export function buildImage(options: { tag: string; nodeImage: string; platform?: string }): Built {
  const started = Date.now();
  const args = ['scripts/build-image.sh', '--tag', options.tag, '--node-image', options.nodeImage];
  if (options.platform) args.push('--platform', options.platform);
  const build = spawnSync('bash', args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 1_200_000,
    env: { ...process.env, CHAINPRICE_ENGINE: 'podman' },
  });
  assert.equal(
    build.status,
    0,
    `scripts/build-image.sh exited ${build.status}\n${(build.stdout ?? '').slice(-4000)}\n${build.stderr}`,
  );
  const bytes = Number(ok(['image', 'inspect', '--format', '{{.Size}}', options.tag]).trim());
  const history = JSON.parse(ok(['history', '--format', 'json', options.tag])) as {
    size: number;
    CreatedBy: string;
  }[];
  const layers = history
    .filter((layer) => layer.size > 0)
    .map((layer) => ({
      bytes: layer.size,
      createdBy: layer.CreatedBy.replace(/^\/bin\/sh -c #\(nop\) /, '').trim(),
    }))
    .reverse();
  return { bytes, layers, seconds: (Date.now() - started) / 1000 };
}

/** One line per layer, for the test's log. */
export function describeLayers(built: Built): string {
  return built.layers
    .map((layer) => `  ${(layer.bytes / 1e6).toFixed(1).padStart(6)} MB  ${layer.createdBy.slice(0, 90)}`)
    .join('\n');
}

/**
 * A bridge network of the test's own for the containers whose ports it publishes: podman's default
 * network is shared with every other container on the machine, whose teardown (its last container
 * gone, the bridge removed) can break the port forwarding of the test's containers.
 */
export function createNetwork(name: string): string {
  podman(['network', 'rm', '--force', name]);
  ok(['network', 'create', name]);
  return name;
}

/** waitFor (test/support/wait.ts) for a container: `probe` every half second until it gives a value (errors mean "not yet"), failing after `ms` with `logs()`. */
export async function until<T>(
  ms: number,
  what: string,
  probe: () => Promise<T | undefined>,
  logs: () => string = () => '',
): Promise<T> {
  const value = await waitFor(probe, {
    what,
    timeoutMs: ms,
    until: (v) => v !== undefined,
    ignoreErrors: true,
    detail: logs,
    everyMs: 500,
  });
  return value as T;
}

/** /health's body once it answers 200; otherwise throws its status and body, which `until` reports. */
export async function healthy(base: string): Promise<{ status: string; source: string; node: unknown }> {
  const response = await fetch(`${base}health`);
  if (!response.ok) throw new Error(`/health answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { status: string; source: string; node: unknown };
}

/** A container's output so far, for a failure message. */
export function containerLogs(name: string): string {
  const logs = podman(['logs', name]);
  return `container log:\n${logs.stdout}${logs.stderr}`;
}
