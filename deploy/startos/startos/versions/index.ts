// The package's versions: chainprice's version, then ":" and the package's own revision.
import { VersionGraph, VersionInfo } from '@start9labs/start-sdk';

export const current = VersionInfo.of({
  version: '0.1.0:0',
  releaseNotes: 'chainprice 0.1.0 on StartOS: the live price from your own Bitcoin node.',
  migrations: {},
});

export const versionGraph = VersionGraph.of({ current, other: [] });
