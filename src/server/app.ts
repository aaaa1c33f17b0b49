// The whole service assembled in one place: give it a live feed (and, optionally, history, block
// prices, a token, allowed origins, the web root) and it returns a ready Fastify instance. Tests build
// it around a fake feed and use `inject` or a real socket; `chainprice serve` builds it and listens.
// It does not start or stop the feed: whoever made the feed owns its life.

import { fileURLToPath } from 'node:url';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ApiError, type ErrorBody } from '../errors.ts';
import type { HistoryTables } from '../history/history-tables.ts';
import type { LiveFeed } from '../live/feed.ts';
import type { BlockPriceReader, HistoryReader } from '../live/readers.ts';
import type { StorageWatch } from '../store/storage.ts';
import { presentedToken, tokenMatches } from './access-token.ts';
import { apiRoutes } from './api-routes.ts';
import { DEFAULT_HEALTH_LIMITS, type HealthLimits, healthReport } from './health.ts';
import { type HubLimits, MempoolHub } from './mempool-hub.ts';
import { MEMPOOL_PATH, mempoolSocket } from './mempool-socket.ts';
import { type BlockWindowStats, ServiceMetrics } from './metrics-report.ts';
import { normaliseOrigin } from './origin-check.ts';
import { processWatch } from './process-metrics.ts';
import { webFiles } from './web-files.ts';

/** Client requests are a few dozen bytes; 4 KiB leaves room for growth and stops anyone sending megabytes. */
export const MAX_CLIENT_MESSAGE_BYTES = 4 * 1024;
/** A client that does not answer a close frame within this is cut off, so shutdown never hangs. */
export const SHUTDOWN_GRACE_MS = 2_000;
/** Time to send a complete request: generous for any real client, short enough to shed idle half-open requests. */
const REQUEST_TIMEOUT_MS = 30_000;

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

export interface AppOptions {
  feed: LiveFeed;
  history?: HistoryReader;
  /** The chain's price history (days and blocks): the /api/v1/history/… and explorer price routes. */
  chainHistory?: HistoryTables;
  blocks?: BlockPriceReader;
  /** When set, the API, /metrics and the WebSocket need it (`Authorization: Bearer …` or `?token=`). */
  token?: string;
  /** Origins besides the server's own whose pages may open the WebSocket (`*` for any). */
  allowedOrigins?: string[];
  /** The browser app's folder; default: the repository's `web/`. `null` serves no files. */
  webRoot?: string | null;
  hub?: Partial<HubLimits>;
  health?: Partial<HealthLimits>;
  /** The confirmed-block window's size, for /metrics (node source). */
  blockWindow?: () => BlockWindowStats | null;
  maxClientMessageBytes?: number;
  shutdownGraceMs?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Where warnings go (one line each); default: stderr. */
  log?: (line: string) => void;
  /** Which instance this is (with NATS: an estimator or an edge), as `served_by` in /health and snapshots. */
  servedBy?: string;
  /** Why there is no history, when there is none (default: --no-history); the history API says it. */
  noHistory?: string;
  /** The estimator's NATS link (serve --nats): /health names it while it is down. */
  bus?: { problem(): string | null };
  /** Whether the data directory takes the history's writes: /health and /metrics report it. */
  storage?: Pick<StorageWatch, 'problems' | 'dropped' | 'totalDropped' | 'waiting'>;
}

/** Paths that need the token when one is set. /health stays open for monitors; the page itself holds no data. */
function isProtected(path: string): boolean {
  return path.startsWith('/api/') || path === '/metrics' || path.startsWith('/ws/');
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { feed } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => console.error(`chainprice: ${line}`));
  const allowedOrigins = (options.allowedOrigins ?? []).map(normaliseOrigin);
  const healthLimits = { ...DEFAULT_HEALTH_LIMITS, ...options.health };
  // The process watch (memory, event-loop stalls, default metrics) runs from the start.
  processWatch();
  const token = options.token || undefined;

  const app = Fastify({
    logger: false,
    requestTimeout: REQUEST_TIMEOUT_MS,
    bodyLimit: MAX_CLIENT_MESSAGE_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
  });

  const hub = new MempoolHub({ feed, limits: options.hub, now, servedBy: options.servedBy });
  const metrics = new ServiceMetrics({
    feed,
    hub,
    blockWindow: options.blockWindow,
    storage: options.storage,
  });
  hub.start();

  // First: its onRequest hook marks upgrade requests (request.ws), which the hooks below rely on, and its
  // onResponse hook closes the socket of an upgrade that was refused.
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: options.maxClientMessageBytes ?? MAX_CLIENT_MESSAGE_BYTES,
      perMessageDeflate: false,
    },
    preClose: async () => {
      metrics.close();
      await hub.closeAll(options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS);
      await new Promise<void>((resolve) => app.websocketServer.close(() => resolve()));
    },
    errorHandler: (_error, socket) => socket.terminate(),
  });

  app.setErrorHandler((error: FastifyError | ApiError, _request, reply) => {
    if (error instanceof ApiError) return reply.code(error.statusCode).send(error.body());
    const statusCode =
      typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (statusCode >= 500) {
      log(`internal error: ${error.message}`);
      const body: ErrorBody = {
        statusCode,
        error: 'internal_error',
        message: 'internal error; see the server log',
      };
      return reply.code(statusCode).send(body);
    }
    const body: ErrorBody = { statusCode, error: 'bad_request', message: error.message };
    return reply.code(statusCode).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    const body: ErrorBody = {
      statusCode: 404,
      error: 'not_found',
      message: `nothing at ${request.method} ${path}`,
    };
    return reply.code(404).send(body);
  });

  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?', 1)[0];
    if (token !== undefined && isProtected(path) && !tokenMatches(token, presentedToken(request))) {
      throw new ApiError(
        401,
        'unauthorized',
        'this server needs its token: send "Authorization: Bearer <token>" or add ?token=<token>',
      );
    }
    if (request.ws && path !== MEMPOOL_PATH) {
      throw new ApiError(404, 'not_found', `no WebSocket at ${path}; the stream is ${MEMPOOL_PATH}`);
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (reply.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="chainprice"');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) {
      reply.header(
        'content-security-policy',
        "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
          "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
    }
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
  });

  const { storage } = options;
  app.get('/health', async (_request, reply) => {
    const watch = processWatch();
    const report = healthReport(feed.health(), healthLimits, {
      process: { rssBytes: watch.rssBytes(), eventLoopStallSeconds: watch.stallSeconds() },
      storage:
        storage === undefined
          ? undefined
          : {
              problems: storage.problems(),
              droppedWrites: storage.totalDropped(),
              waiting: storage.waiting(),
            },
      bus: options.bus === undefined ? undefined : { problem: options.bus.problem() },
    });
    const body =
      options.servedBy === undefined ? report.body : { ...report.body, served_by: options.servedBy };
    return reply.code(report.statusCode).send(body);
  });

  app.get('/metrics', async (_request, reply) => {
    const registry = metrics.scrape();
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });

  await app.register(apiRoutes, {
    feed,
    history: options.history,
    chainHistory: options.chainHistory,
    noHistory: options.noHistory,
    blocks: options.blocks,
    now,
    log,
  });
  await app.register(mempoolSocket, { hub, allowedOrigins });
  if (options.webRoot !== null)
    await app.register(webFiles, { root: options.webRoot ?? DEFAULT_WEB_ROOT, log });

  await app.ready();
  return app;
}
