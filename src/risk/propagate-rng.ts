// The seeded generator of the Monte Carlo trials: xoshiro128** (Blackman & Vigna, 2018), whose
// 32-bit integer steps suit JavaScript (no BigInt, no 64-bit emulation) and whose every output bit
// is good. Each chunk of trials gets its own stream, seeded from (seed, chunk) by a SplitMix32-style
// hash, so a chunk's draws do not depend on which worker runs it.

/** Murmur3's finaliser: a bijection on 32 bits that spreads every input bit over the output. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const GOLDEN = 0x9e3779b9;

export class Xoshiro128 {
  // Int32Array, not four fields: values past 2^30 would turn small-integer fields into boxed
  // doubles and deoptimise the hot loop.
  private readonly s = new Int32Array(4);

  /** `seed` is a safe integer (all of its bits count); `stream` is the chunk index. */
  constructor(seed: number, stream: number) {
    let x = fmix32((seed >>> 0) ^ GOLDEN);
    x = fmix32(x ^ (Math.floor(seed / 2 ** 32) >>> 0));
    x = fmix32(x ^ (stream >>> 0));
    for (let k = 0; k < 4; k++) this.s[k] = fmix32(x + (k + 1) * GOLDEN);
    this.s[3]! |= 1; // never the all-zero state
  }

  /** Uniform in [0, 1) with 2^-32 resolution, ample for comparing against probabilities. */
  next(): number {
    const s = this.s;
    const b = s[1]!;
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= b;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return r / 4294967296;
  }

  /** Sets the raw state, for checking against the reference implementation's published outputs. */
  static fromState(a: number, b: number, c: number, d: number): Xoshiro128 {
    const g = new Xoshiro128(0, 0);
    g.s.set([a, b, c, d]);
    return g;
  }

  /** The next raw 32-bit output, as the reference implementation returns it. */
  nextUint32(): number {
    return this.next() * 4294967296;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
