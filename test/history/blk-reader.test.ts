// The blk*.dat reader against the real dev blocks framed as block files: every block is found by
// its hash and read back byte for byte, with and without the XOR key; zeros after the last block,
// a truncated last block, damage between blocks, xor.dat in both layouts, and directories that
// cannot be read are each handled with a clear result or message.

import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readBlock } from '../../src/bitcoin/block.ts';
import { UserError } from '../../src/errors.ts';
import { readBlockAt, scanBlockFile } from '../../src/history/blk-file.ts';
import { magicOf, xorAt } from '../../src/history/blk-format.ts';
import { BlockFiles, readXorKey } from '../../src/history/block-files.ts';
import { REAL_DATA_MISSING, readRealBlock, realBlocks } from '../bitcoin/real-data.ts';
import { frameBlocks, writeBlkDir } from './blk-fixture.ts';

const manifest = realBlocks();
const skip = manifest === null ? REAL_DATA_MISSING : false;
const KEY = Uint8Array.from([0x3a, 0x91, 0x07, 0xfe, 0x55, 0x00, 0xc4, 0x2b]);
const root = mkdtempSync(join(tmpdir(), 'chainprice-blk-'));
after(() => rmSync(root, { recursive: true, force: true }));

function tempDir(name: string): string {
  return join(root, name);
}

describe('xorAt', () => {
  test('equals the byte-by-byte rule at every offset and alignment', () => {
    const data = new Uint8Array(200).map((_, i) => (i * 37 + 11) & 0xff);
    for (const start of [0, 1, 2, 3, 5, 8]) {
      for (const fileOffset of [0, 1, 7, 8, 13, 1_000_003]) {
        const slice = data.slice(0, 150 + start).subarray(start);
        const expected = Uint8Array.from(slice, (b, i) => b ^ KEY[(fileOffset + i) % 8]);
        xorAt(slice, KEY, fileOffset);
        assert.deepEqual(slice, expected, `start ${start}, file offset ${fileOffset}`);
      }
    }
  });

  test('is its own inverse and a zero key changes nothing', () => {
    const data = new Uint8Array(64).map((_, i) => i);
    const copy = data.slice();
    xorAt(copy, KEY, 5);
    assert.notDeepEqual(copy, data);
    xorAt(copy, KEY, 5);
    assert.deepEqual(copy, data);
    xorAt(copy, new Uint8Array(8), 5);
    assert.deepEqual(copy, data);
  });
});

describe('block files from the real dev blocks', { skip }, () => {
  const blocks = (manifest ?? []).map(readRealBlock);

  for (const key of [undefined, KEY]) {
    const label = key ? 'XOR on' : 'XOR off';
    test(`${label}: the index finds every block, and reads it back byte for byte`, () => {
      const dir = tempDir(`all-${key ? 'xor' : 'plain'}`);
      // Small files: blocks spread over many files, as on a node.
      const paths = writeBlkDir(dir, blocks, { key, maxFileBytes: 5_000_000, trailingZeros: 65_536 });
      assert.ok(paths.length > 3);
      const files = BlockFiles.open(dir, 'main');
      assert.equal(files.obfuscated, key !== undefined);
      const summary = files.refresh();
      assert.equal(summary.blocks, blocks.length);
      assert.equal(summary.files, paths.length);
      assert.equal(
        summary.bytes,
        blocks.reduce((s, b) => s + b.length, 0),
      );
      assert.deepEqual(summary.truncated, []);
      assert.equal(summary.skippedBytes, 0);
      for (const [i, entry] of (manifest ?? []).entries()) {
        const at = files.locate(entry.hash);
        assert.ok(at, `block ${entry.height} located`);
        const bytes = readBlockAt(at, files.key);
        assert.deepEqual(new Uint8Array(bytes), blocks[i], `block ${entry.height} bytes`);
        const block = readBlock(bytes);
        assert.equal(block.header.hash, entry.hash);
        assert.equal(at.time, block.header.time);
        let n = 0;
        for (const _ of block.transactions()) n++;
        assert.equal(n, entry.txCount, `block ${entry.height} parses to the end`);
      }
    });
  }

  test('zeros after the last block end the file quietly', () => {
    const dir = tempDir('zeros');
    const [path] = writeBlkDir(dir, blocks.slice(0, 3), { key: KEY, trailingZeros: 1 << 20 });
    const scan = scanBlockFile(path, magicOf('main'), KEY);
    assert.equal(scan.blocks.length, 3);
    assert.equal(scan.end, 'zeros');
    assert.equal(scan.skippedBytes, 0);
  });

  test('a truncated last block (the node mid-write) is left out and reported', () => {
    const dir = tempDir('truncated');
    const [path] = writeBlkDir(dir, blocks.slice(0, 3), { key: KEY });
    const full = readFileSync(path).length;
    truncateSync(path, full - Math.floor(blocks[2].length / 2));
    const files = BlockFiles.open(dir, 'main');
    const summary = files.refresh();
    assert.equal(summary.blocks, 2);
    assert.deepEqual(summary.truncated, ['blk00000.dat']);
    assert.equal(files.locate(readBlock(blocks[2]).header.hash), undefined);
    // The node finishes writing: the next refresh picks the block up from where the scan stopped.
    writeFileSync(path, frameBlocks(blocks.slice(0, 3), 'main', KEY));
    const again = files.refresh();
    assert.equal(again.blocks, 3);
    assert.deepEqual(again.truncated, []);
    const at = files.locate(readBlock(blocks[2]).header.hash);
    assert.ok(at);
    assert.deepEqual(new Uint8Array(readBlockAt(at, KEY)), blocks[2]);
  });

  test('a frame cut inside its 8 bytes is a truncated end too', () => {
    const dir = tempDir('short-frame');
    const [path] = writeBlkDir(dir, blocks.slice(0, 2));
    appendFileSync(path, Buffer.from([0xf9, 0xbe, 0xb4]));
    const scan = scanBlockFile(path, magicOf('main'), null);
    assert.equal(scan.blocks.length, 2);
    assert.equal(scan.end, 'truncated');
  });

  test('bytes that are not a frame are skipped to the next magic, and counted', () => {
    const dir = tempDir('damage');
    const [path] = writeBlkDir(dir, blocks.slice(0, 1));
    appendFileSync(path, Buffer.from('not a block, just damage'));
    appendFileSync(path, frameBlocks(blocks.slice(1, 2), 'main'));
    const scan = scanBlockFile(path, magicOf('main'), null);
    assert.equal(scan.blocks.length, 2);
    assert.equal(scan.skippedBytes, 'not a block, just damage'.length);
  });

  test("another network's files hold no blocks of this one", () => {
    const dir = tempDir('regtest-magic');
    const [path] = writeBlkDir(dir, blocks.slice(0, 2), { network: 'regtest' });
    assert.equal(scanBlockFile(path, magicOf('main'), null).blocks.length, 0);
    assert.equal(scanBlockFile(path, magicOf('regtest'), null).blocks.length, 2);
  });
});

describe('xor.dat and unreadable directories', () => {
  test('xor.dat: 8 bytes, or 9 with a length prefix; anything else is a clear error', () => {
    const dir = tempDir('keys');
    writeBlkDir(dir, [], { key: KEY });
    assert.deepEqual(readXorKey(dir), KEY);
    writeFileSync(join(dir, 'xor.dat'), Buffer.concat([Buffer.from([8]), KEY]));
    assert.deepEqual(readXorKey(dir), KEY);
    writeFileSync(join(dir, 'xor.dat'), Buffer.from([1, 2, 3]));
    assert.throws(
      () => readXorKey(dir),
      (e: unknown) => e instanceof UserError && /3 bytes, not an 8-byte key/.test(e.message),
    );
    rmSync(join(dir, 'xor.dat'));
    assert.equal(readXorKey(dir), null);
  });

  test('a missing directory and a file in its place are one-line errors with a hint', () => {
    assert.throws(
      () => BlockFiles.open(join(root, 'nowhere'), 'main'),
      (e: unknown) =>
        e instanceof UserError &&
        /cannot read the node's block files in .*: no such directory\.$/.test(e.message) &&
        /--block-files=off/.test(e.hint ?? ''),
    );
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    assert.throws(
      () => BlockFiles.open(file, 'main'),
      (e: unknown) => e instanceof UserError && /not a directory/.test(e.message),
    );
  });

  test('a directory without read permission is a one-line error', {
    skip: process.getuid?.() === 0 ? 'root reads every directory' : false,
  }, () => {
    const dir = tempDir('locked');
    writeBlkDir(dir, []);
    chmodSync(dir, 0o000);
    try {
      assert.throws(
        () => BlockFiles.open(dir, 'main'),
        (e: unknown) => e instanceof UserError && /permission denied\.$/.test(e.message),
      );
    } finally {
      chmodSync(dir, 0o755);
    }
  });
});
