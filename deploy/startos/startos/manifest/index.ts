// chainprice's StartOS manifest: its identity, the image (deploy/Containerfile, built for both
// architectures), its volume and its one dependency, a Bitcoin node (the bitcoind package) with ZMQ.
import { setupManifest } from '@start9labs/start-sdk';

export const manifest = setupManifest({
  id: 'chainprice',
  title: 'chainprice',
  license: 'MIT',
  packageRepo: 'https://github.com/chainprice/chainprice/tree/main/deploy/startos',
  upstreamRepo: 'https://github.com/chainprice/chainprice',
  marketingUrl: 'https://www.npmjs.com/package/chainprice',
  donationUrl: null,
  description: {
    short: 'The BTC/USD price read from your own node, live',
    long: 'chainprice reads the BTC/USD exchange rate straight out of your Bitcoin node: it follows the mempool over ZMQ, keeps a rolling window of payments, finds the price at which the most of them are round dollar amounts and streams it, with the evidence, to a chart in your browser. It also prices confirmed blocks and whole days from the node, and keeps a price history. No exchange feed, no third party.',
  },
  volumes: ['main'],
  images: {
    chainprice: {
      // The repository's own image: the build context is the repository root.
      source: { dockerBuild: { workdir: '../..', dockerfile: 'deploy/Containerfile' } },
      arch: ['x86_64', 'aarch64'],
    },
  },
  dependencies: {
    bitcoind: {
      description: 'chainprice reads the mempool over ZMQ and blocks over RPC from your Bitcoin node.',
      optional: false,
      // Its title and icon come from the bitcoind package at install time (no s9pk to read them from here).
      s9pk: null,
    },
  },
});
