// The YAML subset reader and compose's variable substitution, on the shapes Umbrel's files use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseYaml, substitute } from './yaml-subset.ts';

test('mappings, sequences, scalars, flow sequences, comments and folded text', () => {
  const text = [
    '# a comment',
    'version: "3.7"',
    'port: 3860',
    'gallery: []',
    'tags: [a, "b c"]',
    "quoted: 'it''s'",
    'empty:',
    'services:',
    '  web:',
    '    user: "1000:1000"   # uid:gid',
    '    volumes:',
    '      - $APP_DATA_DIR/data:/data',
    '      - "$X:/x:ro"',
    'list:',
    '- one',
    'description: >-',
    '  First line',
    '  goes on.',
    '',
    '',
    '  Second paragraph.',
    'flag: true',
  ].join('\n');
  assert.deepEqual(parseYaml(text), {
    version: '3.7',
    port: 3860,
    gallery: [],
    tags: ['a', 'b c'],
    quoted: "it's",
    empty: null,
    services: { web: { user: '1000:1000', volumes: ['$APP_DATA_DIR/data:/data', '$X:/x:ro'] } },
    list: ['one'],
    description: 'First line goes on.\n\nSecond paragraph.',
    flag: true,
  });
});

test('what is outside the subset fails with its line', () => {
  assert.throws(() => parseYaml('a: &anchor 1'), /line 1: .*outside the subset/);
  assert.throws(() => parseYaml('a:\n  - b: 1'), /line 2: sequences of mappings/);
  assert.throws(() => parseYaml('a: 1\na: 2'), /line 2: duplicate key "a"/);
});

test("compose's substitution: bare and braced names, defaults, $$; a missing variable throws", () => {
  const env = { A: 'x', EMPTY: '' };
  // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own ${NAME} syntax
  assert.equal(substitute('tcp://$A:${A}/$$A', env), 'tcp://x:x/$A');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own ${NAME:-default} syntax
  assert.equal(substitute('${B:-d} ${EMPTY:-d} ${EMPTY-d}', env), 'd d ');
  assert.throws(() => substitute('$B', env), /uses \$B, which is not provided/);
});
