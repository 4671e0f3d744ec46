/**
 * A benchmark-style check that a decoder's cost grows linearly: time it on an input of size n and on one of size
 * 4n (medians of interleaved rounds after a warm-up), and require the ratio to stay at most 5. Linear code gives
 * about 4; the quadratic code this guards against gave 12–16. No absolute time bound: the machine may be loaded.
 * On a shared machine other processes only ever add time (and evict caches, which hurts the larger input more),
 * so the ratio of the minima is also computed and the lower of the two ratios is the one checked.
 */

export interface Scaling {
  /** The lower of median(4n) / median(n) and min(4n) / min(n). */
  readonly ratio: number
  readonly smallMs: number
  readonly largeMs: number
}

const median = (xs: Array<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const timeReps = (f: () => unknown, reps: number): number => {
  const started = performance.now()
  for (let i = 0; i < reps; i++) f()
  return performance.now() - started
}

/** Measures `run(large) / run(small)`, each sample repeated until the small input takes ≥ 4 ms (timer noise). */
export const measureScaling = <I>(run: (input: I) => unknown, small: I, large: I, rounds = 7): Scaling => {
  run(small)
  run(large)
  let reps = 1
  while (reps < 10_000 && timeReps(() => run(small), reps) < 4) reps *= 2
  run(large)
  const a: Array<number> = []
  const b: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    a.push(timeReps(() => run(small), reps) / reps)
    b.push(timeReps(() => run(large), reps) / reps)
  }
  const smallMs = median(a)
  const largeMs = median(b)
  return { ratio: Math.min(largeMs / smallMs, Math.min(...b) / Math.min(...a)), smallMs, largeMs }
}

/**
 * The ratio for `make(n)` against `make(4n)`; measured again (up to four times) only when over the bound, so a
 * burst of load on a shared machine (or the larger input falling out of a cache) does not fail it, while a
 * quadratic cost (ratio ≈ 16) fails every time.
 */
export const scalingOf = <I>(run: (input: I) => unknown, make: (n: number) => I, n: number, bound = 5): Scaling => {
  const small = make(n)
  const large = make(4 * n)
  let best = measureScaling(run, small, large)
  for (let attempt = 1; attempt < 4 && best.ratio > bound; attempt++) {
    const again = measureScaling(run, small, large)
    if (again.ratio < best.ratio) best = again
  }
  return best
}
