/** The simulator's notion of "now", in epoch milliseconds. Injected so tests can move time by days at once. */
export interface Clock {
  readonly now: () => number
}

export const systemClock: Clock = { now: () => Date.now() }

/** A clock that only moves when told to. */
export interface TestClock extends Clock {
  /** Move forward by `ms` milliseconds. */
  readonly advance: (ms: number) => void
  /** Jump to an absolute instant. */
  readonly set: (instant: Date | number) => void
}

export const makeTestClock = (start: Date | number = Date.now()): TestClock => {
  let current = typeof start === "number" ? start : start.getTime()
  return {
    now: () => current,
    advance: (ms) => {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError("advance(ms): ms must be a finite number ≥ 0")
      current += ms
    },
    set: (instant) => {
      current = typeof instant === "number" ? instant : instant.getTime()
    },
  }
}

/** xs:dateTime with an explicit offset (the service sends local Norwegian time with its offset; UTC `Z` is valid too). */
export const formatDateTime = (ms: number): string => {
  // Europe/Oslo is +01:00 or +02:00; a fixed +01:00 offset keeps the output deterministic and still carries an offset.
  const shifted = new Date(ms + 3_600_000)
  const pad = (n: number, w = 2) => String(n).padStart(w, "0")
  return (
    `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}` +
    `T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}` +
    `.${pad(shifted.getUTCMilliseconds(), 3)}+01:00`
  )
}
