// The REST API under /api/v1: the current price, past estimates and confirmed-block prices.
// In: the feed and the optional readers. Out: JSON, or an ErrorBody with a 4xx/5xx status.

import type { FastifyInstance } from 'fastify';
import { ApiError, oneLine } from '../errors.ts';
import type { HistoryTables } from '../history/history-tables.ts';
import { parseBlockId } from '../live/block-id.ts';
import type { LiveFeed } from '../live/feed.ts';
import type { BlockPriceReader, HistoryReader } from '../live/readers.ts';
import { parseHistoryQuery } from './history-query.ts';
import { historyRoutes, historyUnavailableRoutes, NO_HISTORY_FLAG } from './history-routes.ts';
import { round } from './price-message.ts';

export interface ApiOptions {
  feed: LiveFeed;
  history?: HistoryReader;
  /** The chain's price history (days and blocks); without it those routes answer 503. */
  chainHistory?: HistoryTables;
  /** Why there is no history, when there is none (default: --no-history). */
  noHistory?: string;
  blocks?: BlockPriceReader;
  now: () => number;
  log: (line: string) => void;
}

export async function apiRoutes(app: FastifyInstance, options: ApiOptions): Promise<void> {
  const { feed } = options;
  if (options.chainHistory !== undefined) historyRoutes(app, options.chainHistory, feed.source);
  else historyUnavailableRoutes(app, options.noHistory);

  app.get('/api/v1/price', async () => {
    const state = feed.current();
    if (state === null) {
      const detail = feed.health().detail;
      throw new ApiError(503, 'no_estimate', `no estimate yet: ${detail ?? 'the source is starting'}`);
    }
    // The last price stays served while the source is in trouble: with its age and why it may be stale.
    const health = feed.health();
    return {
      price: state.price === null ? null : round(state.price, 2),
      confidence: round(state.confidence, 4),
      reason: state.reason,
      block_window_price: state.blockWindowPrice === null ? null : round(state.blockWindowPrice, 2),
      source: state.source,
      timestamp: round(state.timestamp, 3),
      estimate_ms: round(state.estimateMs, 3),
      age_seconds: health.lastEstimateAgeSeconds === null ? null : round(health.lastEstimateAgeSeconds, 3),
      warning: health.problems?.[0] ?? (health.connected ? null : health.detail),
      stats: state.stats,
    };
  });

  app.get('/api/v1/history', async (request) => {
    const query = parseHistoryQuery(
      request.query as Record<string, unknown>,
      Math.floor(options.now() / 1000),
    );
    if (options.history === undefined) {
      throw new ApiError(
        503,
        'history_unavailable',
        `this server keeps no history (${options.noHistory ?? NO_HISTORY_FLAG})`,
      );
    }
    const estimates = await options.history.estimates(query);
    return {
      source: feed.source,
      from: query.from,
      to: query.to,
      step: query.step,
      estimates: estimates.map((e) => ({
        timestamp: round(e.timestamp, 3),
        price: round(e.price, 2),
        confidence: round(e.confidence, 4),
      })),
    };
  });

  app.get('/api/v1/blocks/:heightOrHash/price', async (request) => {
    const id = parseBlockId((request.params as { heightOrHash: string }).heightOrHash);
    if (options.blocks === undefined) {
      throw new ApiError(503, 'block_prices_unavailable', 'this server has no source of confirmed blocks');
    }
    // A node that does not answer RPC (a hang) would hold the request for the whole RPC timeout:
    // say so at once.
    if (feed.health().node?.rpcAnswering === false) {
      throw new ApiError(
        503,
        'block_price_failed',
        `block ${id}: the node does not answer RPC now (see /health); try again once it does`,
      );
    }
    let result: Awaited<ReturnType<BlockPriceReader['priceOf']>>;
    try {
      result = await options.blocks.priceOf(id);
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode;
      const statusCode = typeof status === 'number' && status >= 400 && status < 600 ? status : 502;
      options.log(`block ${id}: ${oneLine(error)}`);
      throw new ApiError(statusCode, 'block_price_failed', `block ${id}: ${oneLine(error)}`);
    }
    if (result === null) throw new ApiError(404, 'block_not_found', `no block ${id} on this chain`);
    return {
      ...result,
      price: typeof result.price === 'number' ? round(result.price, 2) : result.price,
      confidence: typeof result.confidence === 'number' ? round(result.confidence, 4) : result.confidence,
      source: feed.source,
    };
  });
}
