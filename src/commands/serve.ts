// `chainprice serve`: the service. Opens the live source (your node, or the demo with --demo), the
// history, and with --nats the publisher; assembles the app (serve-app.ts) and serves it
// (src/server/http-service.ts): the browser app, the API, /health, /metrics and the WebSocket
// stream all come from this one process. SIGINT/SIGTERM close the WebSocket clients with 1001
// (going away), stop the feed and close the history, then exit. In: the parsed options
// (serve-options.ts). Out: the exit code.

import { memory } from '../runtime/memory-policy.ts';
import type { Service } from '../server/http-service.ts';
import { assembleApp } from './serve-app.ts';
import { historyRefused, keepChainHistory, openHistory } from './serve-history.ts';
import type { ServeOptions } from './serve-options.ts';
import { openPublisher, type Publishing } from './serve-publisher.ts';
import { openSource } from './serve-source.ts';

export async function run(options: ServeOptions): Promise<number> {
  // The memory settings are read at process start: restart once with them, in place (docs/memory.md).
  memory.atStart();
  const status = (line: string) => console.error(`chainprice: ${line}`);

  const { listen } = await import('../server/http-service.ts');
  const { processWatch } = await import('../server/process-metrics.ts');

  const source = await openSource(options, status);
  let history: Awaited<ReturnType<typeof openHistory>>;
  let refused: ReturnType<typeof historyRefused> = null;
  try {
    history = await openHistory(options);
  } catch (error) {
    refused = historyRefused(error);
    if (refused === null) {
      await source.feed.stop();
      throw error;
    }
    status(
      `${(error as Error).message}; serving the live price without a history (restart once there is room)`,
    );
  }
  // The seed until the chain gives a confident price: --price-hint, else (node only: the demo's
  // history is of another simulated market) the history's last confident price of the past week.
  const { chooseStartSeed } = await import('../live/start-seed.ts');
  const startSeed = chooseStartSeed({
    hint: options.priceHint,
    history: options.demo ? undefined : history,
    now: Date.now() / 1000,
  });
  if (startSeed !== null) {
    source.setStartSeed(startSeed);
    status(`seeding the live estimate with ${startSeed.detail}`);
  }

  let bus: Publishing | undefined;
  if (options.nats !== undefined) {
    try {
      bus = await openPublisher(options.nats, source, history, status);
    } catch (error) {
      history?.close();
      await source.feed.stop();
      throw error;
    }
  }
  const { app, chainTables, storage, stopRecording } = await assembleApp(options, source, history, status, {
    bus,
    refused,
  });

  const background = new AbortController();
  let chainHistory = Promise.resolve();
  const close = async () => {
    stopRecording();
    background.abort();
    await chainHistory;
    await bus?.close();
    await app.close();
    await source.feed.stop();
    history?.close();
  };
  let service: Service;
  try {
    service = await listen(app, {
      host: options.host,
      port: options.port,
      command: 'serve',
      token: options.token,
      what: `the ${options.demo ? 'demo' : 'node'} price`,
      more: history ? ` — history in ${history.path}` : '',
      close,
      log: status,
    });
  } catch (error) {
    await bus?.close();
    history?.close();
    await source.feed.stop();
    throw error;
  }

  let firstHistoryBuild = Promise.resolve();
  if (chainTables !== undefined) {
    let built = () => {};
    firstHistoryBuild = new Promise((resolve) => {
      built = resolve;
    });
    const run = { status, signal: background.signal, onFirstBuild: built, storage };
    chainHistory = keepChainHistory(options, source, chainTables, run)
      .catch((error: unknown) => status(`the chain price history stopped: ${(error as Error).message}`))
      .finally(built);
  }

  bus?.start();
  try {
    await source.feed.start();
  } catch (error) {
    service.uninstall();
    await close().catch(() => {});
    throw error;
  }
  // The start (the demo's pre-fill, the mempool bootstrap) leaves its garbage's pages behind, and
  // every module the service uses is loaded now: the next start finds them compiled.
  memory.afterStart();
  // Start-up's stalls (the fills, the first history build) are expected work, not a problem for
  // /health; once they are over, stalls count again.
  const firstFill = source.node?.firstBlockWindowFill ?? Promise.resolve();
  void Promise.all([firstFill, firstHistoryBuild]).then(() => processWatch().startUpOver());
  if (bus === undefined) return service.stopped;
  // NATS refusing the login for good while running stops serve as it would at start.
  const { untilStopped } = await import('../bus/bus-start.ts');
  return untilStopped(service, bus.ended, close);
}
