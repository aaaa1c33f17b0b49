// What `chainprice edge` takes, declared once (options.ts): the NATS servers (required) and the
// network whose price to serve, where it listens, the token and origins. Out: EdgeOptions, the NATS
// URL and credentials checked.

import { isNetworkName, NETWORK_NAMES, type NetworkName } from '../bus/bus-protocol.ts';
import { NATS_ENV_HELP, natsTarget } from '../bus/nats-target.ts';
import { BadValue, declareCommand, type Env, option, usageError } from './options.ts';
import { ALLOW_ORIGIN, HOST, MAX_CLIENTS, natsOption, PORT, TOKEN } from './shared-options.ts';

export const edgeCommand = declareCommand({
  name: 'edge',
  summary: 'serve the live price from NATS (no node): one estimator, many edges',
  usage: ['chainprice edge --nats URL [options]'],
  description: `Serves the live price from NATS, with no node and no estimator: the browser app at /, the REST API
under /api/v1, /health, /metrics and the WebSocket stream /ws/mempool, the same documents as
chainprice serve (only "served_by" tells them apart). One chainprice serve --nats URL publishes;
edges follow it and, if it dies, its stand-by. See docs/deploy-nats.md.`,
  options: {
    nats: natsOption('the NATS server(s) the estimator publishes on, comma-separated; required'),
    network: option({
      value: 'NAME',
      help: `whose price: ${NETWORK_NAMES.join(', ')}; the estimator's network (demo for chainprice serve --demo)`,
      env: 'CHAINPRICE_NETWORK',
      default: 'main',
      example: 'demo',
      parse: (text: string, from: string): NetworkName => {
        if (!isNetworkName(text))
          throw new BadValue(`${from} is one of ${NETWORK_NAMES.join(', ')}, not "${text}"`);
        return text;
      },
    }),
    host: HOST,
    port: PORT,
    token: TOKEN,
    allowOrigin: ALLOW_ORIGIN,
    maxClients: MAX_CLIENTS,
  },
  epilogue: NATS_ENV_HELP,
  finish: ({ values: v }, env: Env) => {
    if (v.nats === undefined)
      throw usageError('edge', '--nats URL is required: the NATS server the estimator publishes on');
    return {
      nats: natsTarget(v.nats, env, 'edge: --nats', 'chainprice edge --help'),
      network: v.network,
      host: v.host,
      port: v.port,
      token: v.token,
      allowedOrigins: v.allowOrigin,
      maxClients: v.maxClients,
    };
  },
});

export type EdgeOptions = ReturnType<typeof edgeCommand.parse>;

export function parseEdgeArgs(args: readonly string[], env: Env): EdgeOptions {
  return edgeCommand.parse(args, env);
}
