/**
 * A tiny timing harness shared by the bench files: warm up, then several timed rounds; report the median.
 * Medians of rounds keep one GC pause or a noisy neighbour on this shared machine from deciding the result.
 */

export interface Measurement {
  readonly name: string
  /** Median time per operation, in microseconds. */
  readonly microseconds: number
  readonly operations: number
}

export const measure = (
  name: string,
  fn: () => unknown,
  options?: { rounds?: number; minMs?: number },
): Measurement => {
  const rounds = options?.rounds ?? 15
  const minMs = options?.minMs ?? 100
  // Calibrate: how many iterations fill `minMs`.
  let n = 1
  for (;;) {
    const t = performance.now()
    for (let i = 0; i < n; i++) fn()
    if (performance.now() - t >= minMs / 4) break
    n *= 2
  }
  n *= 4
  const perOp: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) fn()
    perOp.push(((performance.now() - t) * 1000) / n)
  }
  perOp.sort((a, b) => a - b)
  return { name, microseconds: perOp[Math.floor(perOp.length / 2)]!, operations: n * rounds }
}

/** Interleaves the candidates round by round, so drift in machine load hits all of them alike. */
export const compare = (
  candidates: ReadonlyArray<readonly [name: string, fn: () => unknown]>,
  options?: { rounds?: number; minMs?: number },
): ReadonlyArray<Measurement> => {
  const rounds = options?.rounds ?? 9
  const samples = new Map<string, Array<number>>(candidates.map(([name]) => [name, []]))
  for (const [, fn] of candidates) measure("warmup", fn, { rounds: 1, minMs: 50 })
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of candidates) {
      samples.get(name)!.push(measure(name, fn, { rounds: 1, minMs: options?.minMs ?? 100 }).microseconds)
    }
  }
  return candidates.map(([name]) => {
    const s = samples.get(name)!.sort((a, b) => a - b)
    return { name, microseconds: s[Math.floor(s.length / 2)]!, operations: s.length }
  })
}

export const fmt = (us: number): string => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`)
