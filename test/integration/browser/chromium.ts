// Debian's Chromium for the browser tests and benchmark, driven by playwright-core: installs it with
// scripts/install-chromium.sh when /usr/bin/chromium is missing, then launches it headless with a
// fresh profile. In: nothing (or extra launch options). Out: a playwright Browser.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const INSTALL_SCRIPT = fileURLToPath(new URL('../../../scripts/install-chromium.sh', import.meta.url));

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Makes sure /usr/bin/chromium exists, installing Debian's package when it does not; throws one line otherwise. */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  const run = spawnSync('bash', [INSTALL_SCRIPT], { stdio: 'inherit' });
  if (run.status !== 0 || !existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH} and scripts/install-chromium.sh could not install it`,
    );
  }
}

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}
