// `chainprice block FILE [--txs]` end to end (a child process, as a user runs it) and the
// blockFileSummary seam, on a crafted block and, when present, a real one.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Block as BitcoinJsBlock } from 'bitcoinjs-lib';
import { merkleRoot, parseBlockHeader } from '../../src/bitcoin/block.ts';
import { hexToHash } from '../../src/bitcoin/hash.ts';
import { bytesToHex } from '../../src/bitcoin/hex.ts';
import { blockFileSummary, isBlockFileArgument } from '../../src/commands/block-file.ts';
import { UserError } from '../../src/errors.ts';
import { REAL_DATA_DIR, REAL_DATA_MISSING, realBlocks } from './real-data.ts';
import {
  bytes,
  coinbaseInput,
  compactSize,
  concat,
  expectedTxid,
  filled,
  serializeHeader,
  serializeTx,
  type TxSpec,
} from './tx-builder.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'chainprice-block-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function chainprice(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const P2WPKH = concat([0x00, 0x14], filled(20, 1));
const P2TR = concat([0x51, 0x20], filled(32, 2));
const txs: TxSpec[] = [
  {
    inputs: [{ ...coinbaseInput(bytes(0x03, 0x10, 0x27, 0x00)), witness: [filled(32, 0)] }],
    outputs: [
      { value: 625_000_000n, script: P2WPKH },
      { value: 0n, script: bytes(0x6a, 0x01, 0x00) },
    ],
  },
  {
    inputs: [{ witness: [filled(64, 3)] }],
    outputs: [
      { value: 10_000n, script: P2TR },
      { value: 20_000n, script: P2WPKH },
      { value: 1n, script: bytes(0x51) },
    ],
  },
];

function craftBlock(): Uint8Array {
  const root = hexToHash(merkleRoot(txs.map(expectedTxid)));
  for (let nonce = 0; ; nonce++) {
    const header = serializeHeader({ bits: 0x207fffff, merkleRoot: root, nonce, time: 1_700_000_000 });
    if (parseBlockHeader(header).meetsTarget) {
      return concat(header, compactSize(txs.length), ...txs.map((t) => serializeTx(t)));
    }
  }
}
const block = craftBlock();
const rawPath = join(dir, 'crafted.raw');
writeFileSync(rawPath, block);

test('summary of a crafted block', () => {
  const { summary, transactions } = blockFileSummary(block);
  assert.equal(transactions, undefined);
  assert.equal(summary.height, 10_000);
  assert.equal(summary.time, 1_700_000_000);
  assert.equal(summary.timeUtc, '2023-11-14T22:13:20.000Z');
  assert.equal(summary.txCount, 2);
  assert.equal(summary.outputCount, 5);
  assert.equal(summary.outputValueSats, 625_030_001);
  assert.deepEqual(summary.outputTypes, {
    p2pkh: 0,
    p2sh: 0,
    p2wpkh: 2,
    p2wsh: 0,
    p2tr: 1,
    op_return: 1,
    multisig: 0,
    other: 1,
  });
  assert.equal(summary.size, block.length);
  const stripped = 80 + 1 + txs.reduce((s, t) => s + serializeTx(t, false).length, 0);
  assert.equal(summary.weight, stripped * 3 + block.length);
  assert.equal(summary.meetsTarget, true);
  assert.equal(summary.merkleRootMatches, true);
});

test('a block whose merkle root does not match is reported, not hidden', () => {
  const tampered = block.slice();
  tampered[36] ^= 1; // first byte of the header's merkle root
  const { summary } = blockFileSummary(tampered);
  assert.equal(summary.merkleRootMatches, false);
});

test('a malformed block is a UserError naming the source and the byte', () => {
  assert.throws(
    () => blockFileSummary(block.subarray(0, 150), { source: 'x.raw' }),
    (e: unknown) => e instanceof UserError && /^x\.raw is not a valid block: .* at byte \d+$/.test(e.message),
  );
});

test('isBlockFileArgument: existing paths and .raw/.hex names are files; heights and hashes are not', () => {
  assert.equal(isBlockFileArgument(rawPath), true);
  assert.equal(isBlockFileArgument('missing.raw'), true);
  assert.equal(isBlockFileArgument('missing.HEX'), true);
  assert.equal(isBlockFileArgument('840000'), false);
  assert.equal(isBlockFileArgument('0'.repeat(64)), false);
});

test('chainprice block FILE prints the JSON summary', () => {
  const { code, stdout, stderr } = chainprice('block', rawPath);
  assert.equal(code, 0, stderr);
  const summary = JSON.parse(stdout);
  assert.equal(summary.hash, parseBlockHeader(block).hash);
  assert.equal(summary.txCount, 2);
});

test('chainprice block FILE --txs prints JSON Lines: the summary, then one line per transaction', () => {
  const { code, stdout } = chainprice('block', '--txs', rawPath);
  assert.equal(code, 0);
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  assert.equal(lines[0].outputCount, 5);
  assert.equal(lines[1].txid, expectedTxid(txs[0]));
  assert.equal(lines[1].coinbase, true);
  assert.deepEqual(lines[2].outputs, [
    { value: 10_000, type: 'p2tr' },
    { value: 20_000, type: 'p2wpkh' },
    { value: 1, type: 'other' },
  ]);
});

test('hex files are accepted, with or without the .hex extension and line breaks', () => {
  const hex = bytesToHex(block);
  const withBreaks = `${hex.slice(0, 100)}\n${hex.slice(100)}\n`;
  for (const name of ['crafted.hex', 'crafted.txt']) {
    writeFileSync(join(dir, name), withBreaks);
    const { code, stdout } = chainprice('block', join(dir, name));
    assert.equal(code, 0, name);
    assert.equal(JSON.parse(stdout).hash, parseBlockHeader(block).hash);
  }
});

test('errors are one clear line (no stack trace) with the right exit code', () => {
  const cases: [string[], number, RegExp][] = [
    [['block', join(dir, 'missing.raw')], 1, /^chainprice: no such file: .*missing\.raw$/],
    [['block'], 2, /^chainprice: block: which block\?/],
    [['block', rawPath, rawPath], 2, /give exactly one block FILE/],
    [
      ['block', '--frobnicate', rawPath],
      2,
      /^chainprice: block: unknown option --frobnicate \(chainprice block --help\)$/,
    ],
    [['block', dir], 1, /is a directory, not a block file$/],
  ];
  writeFileSync(join(dir, 'truncated.raw'), block.subarray(0, 120));
  cases.push([
    ['block', join(dir, 'truncated.raw')],
    1,
    /truncated\.raw is not a valid block: .* at byte \d+$/,
  ]);
  writeFileSync(join(dir, 'bad.hex'), 'abcz');
  cases.push([['block', join(dir, 'bad.hex')], 1, /not a raw block nor valid hex/]);
  writeFileSync(join(dir, 'blk00000.dat'), concat([0xf9, 0xbe, 0xb4, 0xd9], compactSize(0), block));
  cases.push([['block', join(dir, 'blk00000.dat')], 1, /looks like a Bitcoin Core blk\*\.dat file/]);
  writeFileSync(join(dir, 'empty.raw'), '');
  cases.push([['block', join(dir, 'empty.raw')], 1, /empty\.raw is empty$/]);
  for (const [args, exit, message] of cases) {
    const { code, stdout, stderr } = chainprice(...args);
    assert.equal(code, exit, `${args.join(' ')}: ${stderr}`);
    assert.equal(stdout, '');
    const [first] = stderr.trim().split('\n');
    assert.match(first, message);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  }
});

const real = realBlocks();
test('a real block through the command', { skip: real === null ? REAL_DATA_MISSING : false }, () => {
  const entry = real?.find((b) => b.height === 600000) ?? real?.[0];
  assert.ok(entry);
  const { code, stdout } = chainprice('block', `${REAL_DATA_DIR}${entry.file}`);
  assert.equal(code, 0);
  const summary = JSON.parse(stdout);
  assert.equal(summary.hash, entry.hash);
  assert.equal(summary.height, entry.height);
  assert.equal(summary.txCount, entry.txCount);
  assert.equal(summary.outputCount, entry.outputCount);
  assert.equal(summary.merkleRootMatches, true);
  const other = BitcoinJsBlock.fromBuffer(readFileSync(`${REAL_DATA_DIR}${entry.file}`));
  assert.equal(summary.weight, other.weight(), 'block weight as bitcoinjs-lib computes it');
});

test('chainprice block FILE --txs into a pipe its reader has closed ends quietly (no EPIPE trace)', (t) => {
  const real = realBlocks();
  if (real === null) return t.skip(REAL_DATA_MISSING);
  // `true` closes the pipe at once, before chainprice writes (as `| head` does after a few lines).
  const biggest = real.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const run = spawnSync(
    'bash',
    [
      '-o',
      'pipefail',
      '-c',
      '"$0" "$1" block --txs "$2" | true',
      process.execPath,
      CLI,
      `${REAL_DATA_DIR}${biggest.file}`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(run.stderr, '');
  assert.equal(run.status, 0);
});
