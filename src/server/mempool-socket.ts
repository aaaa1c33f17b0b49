// The `/ws/mempool` route: checks the upgrade request (origin, `?limit=`) before any WebSocket is
// opened, then hands the socket to the hub. A plain HTTP GET gets 426 with a sentence saying why.
// (The bearer token is checked for every protected path in app.ts, before this runs.)

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import type { HubSocket, MempoolHub } from './mempool-hub.ts';
import { originAllowed } from './origin-check.ts';

export const MEMPOOL_PATH = '/ws/mempool';

export interface MempoolSocketOptions {
  hub: MempoolHub;
  allowedOrigins: readonly string[];
}

export async function mempoolSocket(app: FastifyInstance, options: MempoolSocketOptions): Promise<void> {
  const { hub } = options;

  const checkUpgrade = async (request: FastifyRequest) => {
    const origin = request.headers.origin;
    if (!originAllowed(origin, request.headers.host, options.allowedOrigins)) {
      throw new ApiError(
        403,
        'forbidden_origin',
        `pages from ${origin} may not open this stream; start the server with --allow-origin ${origin} to allow it`,
      );
    }
    requestedLimit(request);
  };

  app.route({
    method: 'GET',
    url: MEMPOOL_PATH,
    preValidation: checkUpgrade,
    handler: async (_request: FastifyRequest, reply: FastifyReply) => {
      reply.code(426).header('upgrade', 'websocket');
      return {
        statusCode: 426,
        error: 'upgrade_required',
        message: `${MEMPOOL_PATH} is a WebSocket: connect with ws://host${MEMPOOL_PATH} (see docs/api.md)`,
      };
    },
    wsHandler: (socket: unknown, request: FastifyRequest) => {
      hub.add(socket as HubSocket, { limit: requestedLimit(request) });
    },
  });

  function requestedLimit(request: FastifyRequest): number | undefined {
    const query = request.query as Record<string, unknown>;
    for (const key of Object.keys(query)) {
      if (key !== 'limit' && key !== 'token') {
        throw new ApiError(
          400,
          'bad_request',
          `unknown parameter "${key}": ${MEMPOOL_PATH} takes limit and token`,
        );
      }
    }
    if (query.limit === undefined) return undefined;
    const limit = Number(query.limit);
    if (typeof query.limit !== 'string' || !/^\d+$/.test(query.limit) || !Number.isSafeInteger(limit)) {
      throw new ApiError(
        400,
        'bad_request',
        `limit: expected a whole number of points, got "${String(query.limit)}"`,
      );
    }
    return hub.snapshotSize(limit);
  }
}
