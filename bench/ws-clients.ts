// The client side of the WebSocket benchmark (bench/ws.ts forks it, so the clients never share a
// process with the server): N connections to /ws/mempool with Node's WebSocket, opened in batches.
// Between "measure" and "stop" it counts, per connection, messages and bytes received and checks
// that `seq` rises by one; for every update it records the latency from the estimate's `timestamp`
// to receipt in a fixed-size histogram (0.1 ms buckets up to 10 s), so memory stays flat however
// long the run. Talks to the parent over IPC: start → connected → measure → stop → results.

/** Concurrent connection attempts: well under the server's listen backlog (511). */
const CONNECT_BATCH = 50;
/** Latency resolution and range of the histogram. */
const BUCKET_MS = 0.1;
const MAX_LATENCY_MS = 10_000;
/** Every n-th message is parsed in full, to check it is JSON with the expected fields. */
const FULL_PARSE_EVERY = 50;

export type ParentMessage =
  | { type: 'start'; urls: string[]; clients: number }
  | { type: 'measure' }
  | { type: 'stop' };

export interface ClientResults {
  type: 'results';
  clients: number;
  open: number;
  measuredSeconds: number;
  messages: number;
  updates: number;
  snapshots: number;
  bytes: number;
  bytesPerClientMax: number;
  seqGaps: number;
  badMessages: number;
  closedDuringRun: number;
  latencyMs: { count: number; p50: number; p90: number; p99: number; max: number; mean: number };
  cpuSeconds: number;
}

export type ChildMessage =
  | { type: 'connected'; open: number; failed: number; seconds: number }
  | ClientResults
  | { type: 'error'; message: string };

interface Connection {
  ws: WebSocket;
  lastSeq: number;
  bytes: number;
}

const send = (message: ChildMessage) => process.send?.(message);
const connections: Connection[] = [];
const histogram = new Uint32Array(Math.ceil(MAX_LATENCY_MS / BUCKET_MS) + 1);
let measuring = false;
let measureStart = 0;
let cpuStart = process.cpuUsage();
let latencyCount = 0;
let latencySum = 0;
let latencyMax = 0;
let messages = 0;
let updates = 0;
let snapshots = 0;
let seqGaps = 0;
let badMessages = 0;
let closedDuringRun = 0;

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Reads type, seq and the estimate time from the frame's text without parsing it all. */
function onMessage(connection: Connection, text: string): void {
  const received = now();
  if (!measuring) {
    connection.lastSeq = seqOf(text);
    return;
  }
  messages++;
  connection.bytes += Buffer.byteLength(text);
  const seq = seqOf(text);
  if (seq !== connection.lastSeq + 1) seqGaps++;
  connection.lastSeq = seq;
  if (messages % FULL_PARSE_EVERY === 0) {
    try {
      const m = JSON.parse(text) as Record<string, unknown>;
      if (typeof m.timestamp !== 'number' || !Array.isArray(m.transactions)) badMessages++;
    } catch {
      badMessages++;
    }
  }
  if (text.startsWith('{"type":"snapshot"')) {
    snapshots++;
    return;
  }
  if (!text.startsWith('{"type":"update"')) {
    badMessages++;
    return;
  }
  updates++;
  // The estimate's time is the last "timestamp" key: it follows the transactions and the stats.
  const at = text.lastIndexOf('"timestamp":');
  const timestamp = Number.parseFloat(text.slice(at + 12, at + 40));
  const latency = Math.max(0, received - timestamp * 1000);
  latencyCount++;
  latencySum += latency;
  if (latency > latencyMax) latencyMax = latency;
  histogram[Math.min(histogram.length - 1, Math.round(latency / BUCKET_MS))]++;
}

function seqOf(text: string): number {
  const at = text.indexOf('"seq":');
  return at === -1 ? Number.NaN : Number.parseInt(text.slice(at + 6, at + 26), 10);
}

function percentile(p: number): number {
  const target = Math.ceil(latencyCount * p);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= target && target > 0) return i * BUCKET_MS;
  }
  return Number.NaN;
}

function connect(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const connection: Connection = { ws, lastSeq: 0, bytes: 0 };
    ws.addEventListener('message', (event) => onMessage(connection, String(event.data)));
    ws.addEventListener('open', () => {
      connections.push(connection);
      resolve(true);
    });
    ws.addEventListener('error', () => resolve(false));
    ws.addEventListener('close', () => {
      if (measuring) closedDuringRun++;
    });
  });
}

/** Clients are spread over `urls` in turn (one URL: the service itself; several: its edges). */
async function start(urls: string[], clients: number): Promise<void> {
  const started = now();
  let failed = 0;
  for (let i = 0; i < clients; i += CONNECT_BATCH) {
    const batch = Math.min(CONNECT_BATCH, clients - i);
    const results = await Promise.all(
      Array.from({ length: batch }, (_, k) => connect(urls[(i + k) % urls.length])),
    );
    failed += results.filter((ok) => !ok).length;
  }
  send({ type: 'connected', open: connections.length, failed, seconds: (now() - started) / 1000 });
}

function results(): ClientResults {
  const seconds = (now() - measureStart) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return {
    type: 'results',
    clients: connections.length,
    open: connections.filter((c) => c.ws.readyState === WebSocket.OPEN).length,
    measuredSeconds: seconds,
    messages,
    updates,
    snapshots,
    bytes: connections.reduce((sum, c) => sum + c.bytes, 0),
    bytesPerClientMax: connections.reduce((max, c) => Math.max(max, c.bytes), 0),
    seqGaps,
    badMessages,
    closedDuringRun,
    latencyMs: {
      count: latencyCount,
      p50: percentile(0.5),
      p90: percentile(0.9),
      p99: percentile(0.99),
      max: latencyMax,
      mean: latencyCount === 0 ? Number.NaN : latencySum / latencyCount,
    },
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'start') {
    start(message.urls, message.clients).catch((error) => send({ type: 'error', message: String(error) }));
  } else if (message.type === 'measure') {
    measuring = true;
    measureStart = now();
    cpuStart = process.cpuUsage();
  } else if (message.type === 'stop') {
    const report = results();
    measuring = false;
    for (const c of connections) c.ws.close();
    send(report);
    process.disconnect?.();
    setTimeout(() => process.exit(0), 500).unref();
  }
});
