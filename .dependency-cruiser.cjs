// The import layers of src/ (npm test checks them with dependency-cruiser): a folder imports only
// folders in lower layers, never one above it or beside it, so data and imports flow one way
// (README, "Architecture"). Lowest first; folders on one line are siblings that never import each other.
const LAYERS = [
  ['errors.ts', 'format', 'runtime'], // errors and exit codes, number/date formatting, memory policy
  ['bitcoin'], // the wire format (pure)
  ['oracle'], // the estimator and its windows (pure)
  ['live'], // the orchestrator between a feed and the service; the interfaces feeds implement
  ['node', 'store'], // the Bitcoin node's I/O; the SQLite history
  ['history'], // the chain's price history (blk files or RPC)
  ['sim', 'bus'], // the demo network; NATS
  ['server'], // the Fastify app
  ['dev'], // developers' tools: calibration and evaluation on the dev data
  ['commands'], // one file per command
  ['cli.ts', 'index.ts'], // the command line; the library's entry (bitcoin and oracle only)
  ['bin.cts'], // the installed command: checks the Node.js version, then loads cli.ts
];

const path = (name) => `^src/${name.replace('.', '\\.')}${name.includes('.') ? '$' : '/'}`;
const any = (names) => `(${names.map(path).join('|')})`;

const forbidden = [
  {
    name: 'no-circular',
    comment: 'Modules that import each other, directly or through others.',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
  {
    name: 'known-layer',
    comment: 'Every file under src/ belongs to a layer of .dependency-cruiser.cjs.',
    severity: 'error',
    from: { path: '^src/', pathNot: any(LAYERS.flat()) },
    to: {},
  },
  {
    name: 'pure-core',
    comment: 'The wire format and the estimator do no I/O: no Node.js module, no package.',
    severity: 'error',
    from: { path: any(['bitcoin', 'oracle']) },
    to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg'] },
  },
  {
    name: 'pure-core-runtime',
    comment: 'Of the runtime folder, the pure core uses only the buffer freeing.',
    severity: 'error',
    from: { path: any(['bitcoin', 'oracle']) },
    to: { path: '^src/runtime/', pathNot: '^src/runtime/free-buffer\\.ts$' },
  },
  {
    name: 'memory-policy-api',
    comment:
      'The rest of src/ reaches the memory policy through memory-policy.ts (and free-buffer.ts), never its parts.',
    severity: 'error',
    from: { path: '^src/', pathNot: '^src/runtime/' },
    to: { path: '^src/runtime/', pathNot: '^src/runtime/(memory-policy|free-buffer)\\.ts$' },
  },
  {
    name: 'library-entry',
    comment: 'The library (src/index.ts) is the pure core: the wire format and the estimator.',
    severity: 'error',
    from: { path: '^src/index\\.ts$' },
    to: { pathNot: any(['bitcoin', 'oracle']) },
  },
];
LAYERS.forEach((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  for (const name of layer) {
    const siblings = layer.filter((other) => other !== name);
    const banned = [...above, ...siblings];
    if (banned.length === 0) continue;
    forbidden.push({
      name: `layer-${name}`,
      comment: `src/${name} imports only lower layers: not ${banned.join(', ')}.`,
      severity: 'error',
      from: { path: path(name) },
      to: { path: any(banned) },
    });
  }
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.cts', '.js', '.json'] },
  },
};
