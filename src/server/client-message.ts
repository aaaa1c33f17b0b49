// Reads one text frame from a WebSocket client (pure). Three outcomes, handled differently by the hub:
// malformed (not a JSON object with a string `type`: the connection is closed with 1008), unknown
// (a `type` we do not know, or bad fields: an error frame, the connection stays) and a valid request.

import type { ClientMessage } from './protocol.ts';

export type ClientMessageResult =
  | { kind: 'request'; message: ClientMessage }
  | { kind: 'malformed'; reason: string }
  | { kind: 'error'; code: 'unknown_message' | 'bad_request'; message: string };

const KNOWN_TYPES = '"snapshot" and "ping"';

export function readClientMessage(text: string): ClientMessageResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'malformed', reason: 'message is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'malformed', reason: 'message is not a JSON object' };
  }
  const record = value as Record<string, unknown>;
  if (typeof record.type !== 'string') {
    return { kind: 'malformed', reason: 'message has no string "type"' };
  }
  switch (record.type) {
    case 'ping':
      return { kind: 'request', message: { type: 'ping' } };
    case 'snapshot': {
      if (record.limit === undefined) return { kind: 'request', message: { type: 'snapshot' } };
      const limit = record.limit;
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
        return { kind: 'error', code: 'bad_request', message: 'snapshot: limit must be a whole number ≥ 0' };
      }
      return { kind: 'request', message: { type: 'snapshot', limit } };
    }
    default: {
      const shown = record.type.length > 40 ? `${record.type.slice(0, 40)}…` : record.type;
      return {
        kind: 'error',
        code: 'unknown_message',
        message: `unknown message type "${shown}": this server understands ${KNOWN_TYPES}`,
      };
    }
  }
}
