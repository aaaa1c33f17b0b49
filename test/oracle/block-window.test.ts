// The block window against the PriceWindow it replaces: on the real mainnet dev blocks the
// same histogram and the same estimate, bit for bit (price, confidence, evidence with its txids),
// whatever order the blocks arrive in and after the window slides.
// The real-block tests skip with a message when ../shared/data/real is absent.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { type Block, readBlock } from '../../src/bitcoin/block.ts';
import { BlockWindow } from '../../src/oracle/block-window.ts';
import { PriceWindow } from '../../src/oracle/window.ts';
import { REAL_DATA_DIR, REAL_DATA_MISSING, realBlocks } from '../bitcoin/real-data.ts';

const manifest = realBlocks();
const skip = manifest === null ? REAL_DATA_MISSING : false;

function load(height: number): Block {
  const row = manifest!.find((b) => b.height === height);
  assert.ok(row, `block ${height} is in the manifest`);
  const path = `${REAL_DATA_DIR}${row.file}`;
  assert.ok(existsSync(path), path);
  return readBlock(readFileSync(path));
}

function priceWindowOf(blocks: Block[]): PriceWindow {
  const w = new PriceWindow();
  for (const b of blocks) for (const tx of b.transactions()) w.add(tx, b.header.time);
  return w;
}

function compactOf(blocks: Block[], chain = blocks): BlockWindow {
  const w = new BlockWindow();
  for (const b of blocks) assert.ok(w.addBlock(b.header.hash, b.header.time, b.transactions()));
  w.settle(chain.map((b) => b.header.hash));
  return w;
}

function assertSame(compact: BlockWindow, reference: PriceWindow, label: string): void {
  assert.equal(compact.size, reference.size, `${label}: transactions`);
  assert.equal(compact.candidateOutputs, reference.candidateOutputs, `${label}: candidate outputs`);
  assert.deepEqual(compact.counts, reference.counts, `${label}: histogram`);
  const cold = reference.estimate();
  assert.deepEqual(compact.estimate(), cold, `${label}: cold estimate`);
  if (cold.ok) {
    const seed = cold.price * 1.02;
    assert.deepEqual(compact.estimate({ seed }), reference.estimate({ seed }), `${label}: seeded estimate`);
  }
}

describe('block window on real blocks', { skip }, () => {
  test('each dev block alone: the same estimate as a PriceWindow, bit for bit', () => {
    let priced = 0;
    for (const row of manifest!) {
      const block = load(row.height);
      const reference = priceWindowOf([block]);
      assertSame(compactOf([block]), reference, `block ${row.height}`);
      if (reference.estimate().ok) priced++;
    }
    assert.ok(priced >= 10, `${priced} blocks priced`);
  });

  test('consecutive blocks 831328–831331: same estimate in any arrival order and after a slide', () => {
    const chain = [831328, 831329, 831330, 831331].map(load);
    const reference = priceWindowOf(chain);
    // The rule applies across blocks: some candidate spends an output of an earlier block here.
    const alone = chain.reduce((n, b) => n + priceWindowOf([b]).candidateOutputs, 0);
    assert.ok(reference.candidateOutputs < alone, 'cross-block spends take candidates out');
    assert.ok(reference.estimate().ok);
    assertSame(compactOf(chain), reference, 'in order');
    assertSame(compactOf([...chain].reverse(), chain), reference, 'reversed arrival');

    // Slide: hold 831328–831330, then 831328 leaves and 831331 arrives.
    const sliding = compactOf(chain.slice(0, 3));
    assertSame(sliding, priceWindowOf(chain.slice(0, 3)), 'before the slide');
    assert.ok(sliding.removeBlock(chain[0].header.hash));
    assert.ok(sliding.addBlock(chain[3].header.hash, chain[3].header.time, chain[3].transactions()));
    assert.equal(
      sliding.addBlock(chain[3].header.hash, chain[3].header.time, chain[3].transactions()),
      false,
    );
    sliding.settle(chain.slice(1).map((b) => b.header.hash));
    assertSame(sliding, priceWindowOf(chain.slice(1)), 'after the slide');
    assert.equal(sliding.blocks, 3);
    // Far smaller than the PriceWindow's ~159 bytes an output.
    assert.ok(sliding.bytes < sliding.size * 80, `${sliding.bytes} bytes for ${sliding.size} transactions`);

    sliding.clear();
    assert.equal(sliding.size, 0);
    assert.equal(sliding.candidateOutputs, 0);
    assert.equal(sliding.estimate().ok, false);
  });
});
