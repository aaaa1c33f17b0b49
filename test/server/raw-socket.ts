// A WebSocket client written on a bare TCP socket, for what Node's WebSocket cannot do: stop reading
// (a slow client whose buffers fill) and stay silent to pings (a dead client), or send pongs it did
// not read a ping for. It parses the server's frames itself and never answers pings by itself.

import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface RawFrame {
  opcode: number;
  /** The last frame of its message (a message may come in fragments: continuation frames, opcode 0). */
  fin: boolean;
  payload: Buffer;
}

export interface RawClient {
  socket: Socket;
  frames: RawFrame[];
  /** Text messages (their fragments joined) parsed as JSON. */
  texts(): Record<string, unknown>[];
  closed: Promise<void>;
  sendText(text: string): void;
  /** A pong frame with `payload`: an unsolicited one, or a blind answer to a ping never read. */
  sendPong(payload?: Buffer): void;
}

export async function rawConnect(
  port: number,
  path: string,
  options: { paused?: boolean } = {},
): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  const key = randomBytes(16).toString('base64');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const frames: RawFrame[] = [];
  let buffer = Buffer.alloc(0);
  let upgraded = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) {
          reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
          return;
        }
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        resolve();
      }
      parseFrames();
    };
    socket.on('data', onData);
  });
  if (options.paused) socket.pause();

  function parseFrames(): void {
    for (;;) {
      if (buffer.length < 2) return;
      const opcode = buffer[0] & 0x0f;
      const fin = (buffer[0] & 0x80) !== 0;
      let length = buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return;
      frames.push({ opcode, fin, payload: Buffer.from(buffer.subarray(offset, offset + length)) });
      buffer = buffer.subarray(offset + length);
    }
  }

  /** A masked client frame (RFC 6455 §5.2) of fewer than 126 bytes. */
  function sendFrame(opcode: number, payload: Buffer): void {
    if (payload.length >= 126) throw new Error('raw client: only short frames');
    const mask = randomBytes(4);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
    socket.write(Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]));
  }

  return {
    socket,
    frames,
    texts: () => {
      const messages: Record<string, unknown>[] = [];
      let parts: Buffer[] | null = null;
      for (const f of frames) {
        if (f.opcode === 1) parts = [f.payload];
        else if (f.opcode === 0 && parts !== null) parts.push(f.payload);
        else continue; // control frames may come between fragments
        if (f.fin) {
          messages.push(JSON.parse(Buffer.concat(parts).toString()));
          parts = null;
        }
      }
      return messages;
    },
    closed,
    sendText(text: string) {
      sendFrame(0x1, Buffer.from(text));
    },
    sendPong(payload = Buffer.alloc(0)) {
      sendFrame(0xa, payload);
    },
  };
}
