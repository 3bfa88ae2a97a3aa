/**
 * Typed arrays of one buildLp call (issue 16 §3). Every typed array has a backing store of its own, allocated, zeroed
 * and tracked as external memory by the GC; at bench size a block made about thirty of them, 3,000 a call. Here:
 * - `f64` / `i32` / `u8` hand out zeroed views into a few large chunks, for the arrays a block keeps;
 * - `scratch*` hand out views of buffers that grow to the largest block and are reused block after block, for the
 *   arrays used while one block is built. Their contents are left from the block before: callers write before reading.
 * One arena per buildLp call: nothing is carried from one call to the next.
 */

/** Entries per chunk (a larger request gets a chunk of its own). */
const CHUNK = 1 << 16

type Typed = Float64Array | Int32Array | Uint8Array

/** Zeroed views taken one after the other from chunks of one element type. */
class Chunks<T extends Typed> {
  private chunk: T
  private at = 0
  constructor(private readonly make: (n: number) => T) {
    this.chunk = make(0)
  }
  take(n: number): T {
    if (this.at + n > this.chunk.length) {
      this.chunk = this.make(Math.max(CHUNK, n))
      this.at = 0
    }
    this.at += n
    return this.chunk.subarray(this.at - n, this.at) as T
  }
}

/** Numbered scratch buffers of one element type, grown on demand (contents left from their last use). */
export class Scratch<T extends Typed> {
  private readonly slots: T[] = []
  constructor(private readonly make: (n: number) => T) {}
  get(slot: number, n: number): T {
    let b = this.slots[slot]
    if (b === undefined || b.length < n) this.slots[slot] = b = this.make(Math.max(n, 2 * (b?.length ?? 0)))
    return b
  }
}

/** The typed arrays of one buildLp call (see the module comment). */
export class LpArena {
  private readonly f64s = new Chunks((n) => new Float64Array(n))
  private readonly i32s = new Chunks((n) => new Int32Array(n))
  private readonly u8s = new Chunks((n) => new Uint8Array(n))
  private readonly f64Scratch = new Scratch((n) => new Float64Array(n))
  private readonly i32Scratch = new Scratch((n) => new Int32Array(n))

  /** `n` zeroed float64 entries that a block keeps. */
  f64(n: number): Float64Array {
    return this.f64s.take(n)
  }

  /** `n` zeroed int32 entries that a block keeps. */
  i32(n: number): Int32Array {
    return this.i32s.take(n)
  }

  /** `n` zeroed uint8 entries that a block keeps. */
  u8(n: number): Uint8Array {
    return this.u8s.take(n)
  }

  /** Scratch float64 buffer number `slot` with at least `n` entries (contents left from its last use). */
  scratchF64(slot: number, n: number): Float64Array {
    return this.f64Scratch.get(slot, n)
  }

  /** Scratch int32 buffer number `slot` with at least `n` entries (contents left from its last use). */
  scratchI32(slot: number, n: number): Int32Array {
    return this.i32Scratch.get(slot, n)
  }
}
