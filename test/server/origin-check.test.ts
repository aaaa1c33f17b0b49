import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normaliseOrigin, originAllowed } from '../../src/server/origin-check.ts';

test('same origin: the Origin host:port equals Host', () => {
  assert.equal(originAllowed('http://127.0.0.1:8000', '127.0.0.1:8000', []), true);
  assert.equal(originAllowed('https://price.example', 'price.example', []), true);
  assert.equal(originAllowed('http://[::1]:8000', '[::1]:8000', []), true);
  assert.equal(originAllowed('http://localhost:8000', '127.0.0.1:8000', []), false);
  assert.equal(originAllowed('http://127.0.0.1:8001', '127.0.0.1:8000', []), false);
});

test('the allow-list, * and null', () => {
  assert.equal(originAllowed('https://a.example', 'me:8000', ['https://a.example']), true);
  assert.equal(originAllowed('http://a.example', 'me:8000', ['https://a.example']), false);
  assert.equal(originAllowed('https://b.example', 'me:8000', ['*']), true);
  assert.equal(originAllowed('null', 'me:8000', []), false);
  assert.equal(originAllowed('null', 'me:8000', ['null']), true);
  assert.equal(originAllowed('not a url', 'me:8000', []), false);
});

test('no Origin header: a program, not a page', () => {
  assert.equal(originAllowed(undefined, 'me:8000', []), true);
});

test('configured origins are normalised or refused with a sentence', () => {
  assert.equal(normaliseOrigin('HTTPS://Chart.Example/'), 'https://chart.example');
  assert.equal(normaliseOrigin('http://a.example:80'), 'http://a.example');
  assert.throws(() => normaliseOrigin('chart.example'), /is not an origin/);
  assert.throws(() => normaliseOrigin('https://chart.example/app'), /without a path/);
});
