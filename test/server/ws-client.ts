// Test helpers around Node's global WebSocket: open a connection and wait for messages or the close,
// with timeouts so a broken server fails the test instead of hanging it.

import type { ServerMessage } from '../../src/server/protocol.ts';

export interface TestClient {
  ws: WebSocket;
  messages: ServerMessage[];
  /** Resolves with the n-th message (0-based) once it has arrived. */
  message(index: number, timeoutMs?: number): Promise<ServerMessage>;
  /** Resolves with the first message at or after `fromIndex` that satisfies `match`. */
  waitFor(
    match: (m: ServerMessage) => boolean,
    fromIndex?: number,
    timeoutMs?: number,
  ): Promise<ServerMessage>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function openClient(
  url: string,
  init: { headers?: Record<string, string> } = {},
): Promise<TestClient> {
  // Node's WebSocket takes headers in its second argument (an undici extension to the browser API).
  const ws = new WebSocket(url, init as unknown as string[]);
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  ws.addEventListener('message', (event) => {
    messages.push(JSON.parse(String(event.data)) as ServerMessage);
    for (const wake of waiters) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.addEventListener('close', (event) => {
      resolve({ code: event.code, reason: event.reason });
      for (const wake of waiters) wake();
    });
  });

  const waitFor = (match: (m: ServerMessage) => boolean, fromIndex = 0, timeoutMs = 3_000) =>
    new Promise<ServerMessage>((resolve, reject) => {
      const check = () => {
        for (let i = fromIndex; i < messages.length; i++) {
          if (match(messages[i])) {
            finish();
            resolve(messages[i]);
            return;
          }
        }
        if (ws.readyState === WebSocket.CLOSED) {
          finish();
          reject(new Error(`connection closed before the expected message (${messages.length} received)`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no matching message within ${timeoutMs} ms (${messages.length} received)`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const client: TestClient = {
    ws,
    messages,
    message: (index, timeoutMs) => waitFor(() => true, index, timeoutMs),
    waitFor,
    closed,
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve(client), { once: true });
    ws.addEventListener('error', () => reject(new Error('WebSocket connection failed')), { once: true });
  });
}

/** Resolves when the connection attempt fails (e.g. the upgrade was refused), rejects if it opens. */
export function expectRefused(url: string, init: { headers?: Record<string, string> } = {}): Promise<void> {
  const ws = new WebSocket(url, init as unknown as string[]);
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => {
      ws.close();
      reject(new Error('the connection was accepted'));
    });
    ws.addEventListener('error', () => resolve());
  });
}
