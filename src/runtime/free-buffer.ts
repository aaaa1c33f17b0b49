// Frees a typed array's memory now instead of when a full GC finds it dead. In: a view its owner
// is done with (a block read, an array replaced by a bigger copy). Such memory sits outside V8's
// heap, and its owner outlived a few young-generation GCs, so only a full GC would collect it: a
// run of blocks (the 144-block fill, a day of history) or a table that grows would leave much of it
// waiting (docs/memory.md). Detaching the buffer (transfer(0)) frees its memory at once. Only a
// buffer that the view spans whole is freed, never a pool other Buffers share; the caller must
// keep no other view of it.

export function freeBuffer(view: ArrayBufferView): void {
  const buffer = view.buffer;
  const whole = view.byteOffset === 0 && view.byteLength === buffer.byteLength;
  if (whole && buffer instanceof ArrayBuffer && !buffer.detached) buffer.transfer(0);
}
