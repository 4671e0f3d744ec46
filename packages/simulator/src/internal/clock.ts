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

const osloOffset = new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Oslo", timeZoneName: "longOffset" })

/** The UTC offset of Europe/Oslo at an instant, in minutes (60 in winter, 120 in summer). */
const offsetMinutes = (ms: number): number => {
  const name = osloOffset.formatToParts(ms).find((p) => p.type === "timeZoneName")?.value ?? "GMT"
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name)
  return m === null ? 0 : (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]))
}

/** xs:dateTime in Norwegian local time with its offset, as the service writes its headers. */
export const formatDateTime = (ms: number): string => {
  const offset = offsetMinutes(ms)
  const shifted = new Date(ms + offset * 60_000)
  const pad = (n: number, w = 2) => String(n).padStart(w, "0")
  const sign = offset < 0 ? "-" : "+"
  const abs = Math.abs(offset)
  return (
    `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}` +
    `T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}` +
    `.${pad(shifted.getUTCMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  )
}
