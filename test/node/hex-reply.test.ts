// The streaming hex reply reader: a getblock reply split anywhere gives the bytes its hex stands
// for and the rest of the reply as JSON; replies without a hex result stay whole text.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type HexReply, HexReplyReader } from '../../src/node/hex-reply.ts';

function read(text: string, cuts: number[], expected = 0): HexReply {
  const reader = new HexReplyReader(expected);
  const body = Buffer.from(text);
  let at = 0;
  for (const cut of [...cuts, body.length]) {
    reader.push(body.subarray(at, cut));
    at = cut;
  }
  return reader.end();
}

describe('HexReplyReader', () => {
  const bytes = randomBytes(301);
  const reply = JSON.stringify({ result: bytes.toString('hex'), error: null, id: 7 });

  it('decodes the result wherever the reply is cut, into a buffer of its own size', () => {
    for (let a = 0; a <= reply.length; a += 7) {
      for (const b of [a, a + 1, a + 2, a + 13]) {
        const got = read(reply, [a, Math.min(b, reply.length)]);
        assert.deepEqual(Buffer.from(got.bytes ?? []), bytes, `cut at ${a}, ${b}`);
        assert.equal(got.bytes?.buffer.byteLength, bytes.length);
        assert.equal(got.notHex, false);
        assert.deepEqual(JSON.parse(got.text), { result: null, error: null, id: 7 });
      }
    }
  });

  it('takes any key order, spacing and letter case, and a wrong size hint', () => {
    const spaced = `{ "id": 3, "error": null,\n  "result" :  "${bytes.toString('hex').toUpperCase()}" }`;
    for (const expected of [0, 10, spaced.length, 10 * spaced.length]) {
      const got = read(spaced, [5, 30, 31], expected);
      assert.deepEqual(Buffer.from(got.bytes ?? []), bytes);
      assert.deepEqual(JSON.parse(got.text), { id: 3, error: null, result: null });
    }
  });

  it('keeps a reply without a string result as text', () => {
    const error = JSON.stringify({ result: null, error: { code: -5, message: 'Block not found' }, id: 1 });
    const got = read(error, [10]);
    assert.equal(got.bytes, null);
    assert.equal(got.notHex, false);
    assert.deepEqual(JSON.parse(got.text), JSON.parse(error));
    const html = read('<html>401</html>', []);
    assert.equal(html.text, '<html>401</html>');
    assert.equal(html.bytes, null);
  });

  it('says so when the result is not whole hex', () => {
    for (const result of ['abcg', 'abc', '0x12']) {
      const got = read(JSON.stringify({ result, error: null, id: 1 }), [3]);
      assert.equal(got.notHex, true, result);
      assert.equal(got.bytes, null);
    }
    assert.equal(read('{"result":"abcd', []).notHex, true, 'cut short');
  });
});
