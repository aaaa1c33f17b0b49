// The package's entry point, as StartOS loads it (bundled into javascript/index.js by `npm run build`).
import { buildManifest } from '@start9labs/start-sdk';
import { manifest as sdkManifest } from './manifest';
import { versionGraph } from './versions';

export { actions } from './actions';
export { createBackup } from './backups';
export { init, uninit } from './init';
export { main } from './main';
export const manifest = buildManifest(versionGraph, sdkManifest);
