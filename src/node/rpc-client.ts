// A JSON-RPC client for the node: method calls in, results or typed errors out (see
// rpc-errors.ts). One keep-alive HTTP agent, so a burst of calls reuses a few connections;
// batching (`batch`) sends many calls in one request and splits very long lists into chunks that
// run a few at a time; every request has a timeout. The credentials are asked for lazily and asked
// again after a 401, because the node writes a new cookie on every restart.

import http from 'node:http';
import { memory } from '../runtime/memory-policy.ts';
import type { RpcCredentials } from './cookie.ts';
import { type HexReply, HexReplyReader } from './hex-reply.ts';
import { RpcError, RpcTransportError } from './rpc-errors.ts';

export interface RpcCall {
  method: string;
  params?: unknown[];
}

export type RpcResult<T> = { ok: true; value: T } | { ok: false; error: RpcError };

/** Per-call settings: a shorter timeout, and a connection of its own (for health checks). */
export interface CallOptions {
  /** Instead of the client's timeout. */
  timeoutMs?: number;
  /**
   * Send on the client's separate check connection, so the call never waits behind batches for a
   * free socket: its timeout then measures the node, not our own queue.
   */
  ownConnection?: boolean;
}

export interface RpcClientOptions {
  host: string;
  port: number;
  credentials: () => Promise<RpcCredentials>;
  timeoutMs: number;
  /** Calls per HTTP request in `batch`. */
  batchSize?: number;
  /** HTTP requests in flight at once. */
  concurrency?: number;
}

/**
 * A few hundred calls per request keeps each response to a few MB on mainnet (a transaction is
 * ~0.5 kB of hex) while paying the HTTP round trip rarely.
 */
const DEFAULT_BATCH_SIZE = 250;
/**
 * The node serves RPC with 4 threads (`-rpcthreads`) and queues 16 requests (`-rpcworkqueue`);
 * three in flight keeps its threads busy without filling its queue for other clients.
 */
const DEFAULT_CONCURRENCY = 3;
/** "Work queue depth exceeded" (HTTP 503) is transient: retry this many times, backing off. */
const BUSY_RETRIES = 5;
const BUSY_BACKOFF_MS = 100;
/** Pseudo HTTP status for "the reused connection was already closed": the request is sent once more. */
const STALE_CONNECTION = -1;

export class RpcClient {
  readonly endpoint: string;
  private readonly options: Required<RpcClientOptions>;
  private readonly agent: http.Agent;
  /** One kept-alive connection for `ownConnection` calls (health checks), apart from the busy ones. */
  private readonly checkAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private credentials: Promise<RpcCredentials> | null = null;
  private nextId = 1;

  constructor(options: RpcClientOptions) {
    this.options = {
      batchSize: DEFAULT_BATCH_SIZE,
      concurrency: DEFAULT_CONCURRENCY,
      ...options,
    };
    this.endpoint = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    // Room for a batch at full concurrency plus a couple of single calls beside it.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: this.options.concurrency + 2 });
  }

  /** One call; throws RpcError when the node answers with an error, RpcTransportError when it does not answer. */
  async call<T>(method: string, params: unknown[] = [], options: CallOptions = {}): Promise<T> {
    const id = this.nextId++;
    const reply = (await this.post(
      JSON.stringify({ jsonrpc: '1.0', id, method, params }),
      method,
      options,
    )) as JsonRpcReply;
    if (Array.isArray(reply) || typeof reply !== 'object' || reply === null) {
      throw new RpcTransportError(
        'not-rpc',
        this.endpoint,
        `the reply of ${this.endpoint} to ${method} is not a JSON-RPC reply`,
      );
    }
    if (reply.error) throw new RpcError(method, reply.error.code, reply.error.message);
    return reply.result as T;
  }

  /**
   * One call whose result is a hex string (getblock at verbosity 0), as the bytes it stands for:
   * decoded while the reply streams in (hex-reply.ts), so no megabytes of hex text are made.
   */
  async callHex(method: string, params: unknown[] = []): Promise<Uint8Array> {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: '1.0', id, method, params });
    const { value: reply, bytes, notHex } = await this.postReading(body, method, hexReader);
    if (Array.isArray(reply) || typeof reply !== 'object' || reply === null) {
      throw new RpcTransportError(
        'not-rpc',
        this.endpoint,
        `the reply of ${this.endpoint} to ${method} is not a JSON-RPC reply`,
      );
    }
    // The reply (two hex digits a byte) came in socket chunks, dead now.
    memory.afterChunkedReply(2 * (bytes?.length ?? 0));
    const item = reply as JsonRpcItem;
    if (item.error) throw new RpcError(method, item.error.code, item.error.message);
    if (bytes === null || notHex) {
      throw new RpcTransportError(
        'not-rpc',
        this.endpoint,
        `the reply of ${this.endpoint} to ${method} has no hex result`,
      );
    }
    return bytes;
  }

  /**
   * Many calls, batched; results in the order of `calls`. Transport failures reject the whole batch.
   * `batchSize` overrides the calls per request (e.g. 1 for whole blocks, which are megabytes each).
   */
  async batch<T>(calls: readonly RpcCall[], options: { batchSize?: number } = {}): Promise<RpcResult<T>[]> {
    const size = Math.max(1, options.batchSize ?? this.options.batchSize);
    const results: RpcResult<T>[] = new Array(calls.length);
    const chunks: number[] = [];
    for (let start = 0; start < calls.length; start += size) chunks.push(start);
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const start = chunks[next++];
        const end = Math.min(calls.length, start + size);
        await this.sendChunk(calls, start, end, results);
      }
    };
    const workers = Array.from({ length: Math.min(this.options.concurrency, chunks.length) }, worker);
    await Promise.all(workers);
    return results;
  }

  private async sendChunk<T>(
    calls: readonly RpcCall[],
    start: number,
    end: number,
    results: RpcResult<T>[],
  ): Promise<void> {
    const firstId = this.nextId;
    this.nextId += end - start;
    const body: string[] = [];
    for (let i = start; i < end; i++) {
      const call = calls[i];
      body.push(
        JSON.stringify({
          jsonrpc: '1.0',
          id: firstId + (i - start),
          method: call.method,
          params: call.params ?? [],
        }),
      );
    }
    const what = `a batch of ${end - start} ${calls[start].method} calls`;
    const reply = (await this.post(`[${body.join(',')}]`, what)) as JsonRpcReply;
    if (!Array.isArray(reply)) {
      if (reply && typeof reply === 'object' && reply.error) {
        throw new RpcError(calls[start].method, reply.error.code, reply.error.message);
      }
      throw new RpcTransportError(
        'not-rpc',
        this.endpoint,
        `the reply of ${this.endpoint} to ${what} is not a JSON-RPC batch reply`,
      );
    }
    for (const item of reply) {
      const index = typeof item?.id === 'number' ? item.id - firstId + start : -1;
      if (index < start || index >= end) continue;
      const method = calls[index].method;
      results[index] = item.error
        ? { ok: false, error: new RpcError(method, item.error.code, item.error.message) }
        : { ok: true, value: item.result as T };
    }
    for (let i = start; i < end; i++) {
      if (results[i] === undefined) {
        throw new RpcTransportError(
          'not-rpc',
          this.endpoint,
          `${this.endpoint} left call ${i - start} of ${what} unanswered`,
        );
      }
    }
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
    this.checkAgent.destroy();
  }

  /** Forget cached credentials (the node restarted and wrote a new cookie). */
  forgetCredentials(): void {
    this.credentials = null;
  }

  private async post(body: string, what: string, options: CallOptions = {}): Promise<unknown> {
    return (await this.postReading(body, what, textReader, options)).value;
  }

  /** Sends `body`, reads the reply with `reader`; the reply's JSON (`value`) beside what the reader decoded. */
  private async postReading(
    body: string,
    what: string,
    reader: (expected: number) => BodyReader,
    options: CallOptions = {},
  ): Promise<HexReply & { value: unknown }> {
    let reauthenticated = false;
    let resent = false;
    for (let attempt = 0; ; attempt++) {
      const credentials = await this.currentCredentials();
      const response = await this.request(body, credentials, what, reader, options);
      if (response.status === STALE_CONNECTION && !resent) {
        resent = true;
        continue;
      }
      if (response.status === 401 && !reauthenticated) {
        // A restarted node has a new cookie: read it once more before calling it a failure.
        reauthenticated = true;
        this.credentials = null;
        continue;
      }
      if (response.status === 401) {
        throw new RpcTransportError(
          'auth',
          this.endpoint,
          `the node at ${this.endpoint} rejected the RPC credentials`,
        );
      }
      if (response.status === 403) {
        throw new RpcTransportError(
          'forbidden',
          this.endpoint,
          `the node at ${this.endpoint} refuses RPC from this address (rpcallowip)`,
        );
      }
      if (response.status === 503 && attempt < BUSY_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, BUSY_BACKOFF_MS * 2 ** attempt));
        continue;
      }
      if (response.status === 503) {
        throw new RpcTransportError(
          'busy',
          this.endpoint,
          `the node at ${this.endpoint} is too busy for RPC (work queue full)`,
        );
      }
      try {
        return { ...response.body, value: JSON.parse(response.body.text) };
      } catch {
        throw new RpcTransportError(
          'not-rpc',
          this.endpoint,
          `${this.endpoint} answered ${what} with HTTP ${response.status} and no JSON-RPC reply`,
        );
      }
    }
  }

  private currentCredentials(): Promise<RpcCredentials> {
    if (this.credentials === null) {
      const pending = this.options.credentials();
      this.credentials = pending;
      pending.catch(() => {
        if (this.credentials === pending) this.credentials = null;
      });
    }
    return this.credentials;
  }

  private request(
    body: string,
    credentials: RpcCredentials,
    what: string,
    reader: (expected: number) => BodyReader,
    options: CallOptions,
  ): Promise<{ status: number; body: HexReply }> {
    const { host, port } = this.options;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const auth = Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64');
    return new Promise((resolve, reject) => {
      const req = http.request({
        host,
        port,
        method: 'POST',
        path: '/',
        agent: options.ownConnection ? this.checkAgent : this.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Basic ${auth}`,
        },
      });
      const timer = setTimeout(() => {
        req.destroy(
          new RpcTransportError(
            'timeout',
            this.endpoint,
            `the node at ${this.endpoint} did not answer ${what} within ${timeoutMs / 1000} s`,
          ),
        );
      }, timeoutMs);
      req.on('response', (res) => {
        const body = reader(Number(res.headers['content-length'] ?? 0) || 0);
        res.on('data', (chunk: Buffer) => body.push(chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: body.end() });
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          reject(this.transportError(error, what));
        });
      });
      req.on('error', (error) => {
        clearTimeout(timer);
        // A kept-alive connection the node closed while idle: send again on a fresh one.
        if (req.reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
          resolve({ status: STALE_CONNECTION, body: { text: '', bytes: null, notHex: false } });
          return;
        }
        reject(this.transportError(error, what));
      });
      req.end(body);
    });
  }

  private transportError(error: Error, what: string): RpcTransportError {
    if (error instanceof RpcTransportError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') {
      return new RpcTransportError(
        'refused',
        this.endpoint,
        `nothing is listening for RPC at ${this.endpoint}`,
      );
    }
    if (
      code === 'ECONNRESET' ||
      code === 'HPE_INVALID_CONSTANT' ||
      code === 'HPE_INVALID_VERSION' ||
      code === 'HPE_INVALID_STATUS'
    ) {
      return new RpcTransportError(
        'not-rpc',
        this.endpoint,
        `${this.endpoint} closed the connection instead of answering ${what}`,
      );
    }
    return new RpcTransportError(
      'network',
      this.endpoint,
      `cannot reach ${this.endpoint}: ${code ?? error.message}`,
    );
  }
}

/** Reads a reply's body as it arrives. */
interface BodyReader {
  push(chunk: Buffer): void;
  end(): HexReply;
}

/** The whole body as text. */
function textReader(): BodyReader {
  const chunks: Buffer[] = [];
  return {
    push: (chunk) => chunks.push(chunk),
    end: () => ({ text: Buffer.concat(chunks).toString('utf8'), bytes: null, notHex: false }),
  };
}

function hexReader(expected: number): BodyReader {
  return new HexReplyReader(expected);
}

type JsonRpcItem = { id?: unknown; result?: unknown; error?: { code: number; message: string } | null };
type JsonRpcReply = JsonRpcItem | JsonRpcItem[];
