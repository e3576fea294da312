// One small seeded generator for everything that must be random yet reproducible (synthetic
// degradations, training splits, test data): same seed, same stream, on every machine.

export type Rng = () => number;

/** mulberry32 (Tommy Ettinger's 32-bit generator): tiny, fast, well studied, uniform in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
