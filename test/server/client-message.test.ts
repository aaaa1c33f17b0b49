import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readClientMessage } from '../../src/server/client-message.ts';

test('valid requests', () => {
  assert.deepEqual(readClientMessage('{"type":"ping"}'), { kind: 'request', message: { type: 'ping' } });
  assert.deepEqual(readClientMessage('{"type":"snapshot"}'), {
    kind: 'request',
    message: { type: 'snapshot' },
  });
  assert.deepEqual(readClientMessage('{"type":"snapshot","limit":50}'), {
    kind: 'request',
    message: { type: 'snapshot', limit: 50 },
  });
});

test('malformed: not JSON, not an object, no string type', () => {
  for (const text of ['', 'ping', '"ping"', '42', 'null', '[{"type":"ping"}]', '{"type":3}', '{}']) {
    assert.equal(readClientMessage(text).kind, 'malformed', text);
  }
});

test('unknown types and bad fields are errors that keep the connection', () => {
  const unknown = readClientMessage('{"type":"subscribe"}');
  assert.equal(unknown.kind, 'error');
  assert.equal(unknown.kind === 'error' && unknown.code, 'unknown_message');
  for (const limit of ['-1', '1.5', '"10"', 'null', 'true']) {
    const result = readClientMessage(`{"type":"snapshot","limit":${limit}}`);
    assert.equal(result.kind === 'error' && result.code, 'bad_request', limit);
  }
  const long = readClientMessage(JSON.stringify({ type: 'x'.repeat(500) }));
  assert.ok(long.kind === 'error' && long.message.length < 200, 'a long type is not echoed whole');
});
