/**
 * `SigningTime` the way JAXB's DatatypeConverter prints an `xs:dateTime` in the Java client:
 * `yyyy-MM-ddTHH:mm:ss[.SSS]±hh:mm`, milliseconds only when non-zero, `Z` for a zero offset; wall-clock time and
 * offset of an IANA time zone, computed with Intl so the package needs no time-zone database of its own.
 */

const formatters = new Map<string, Intl.DateTimeFormat>()

const formatterFor = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** The runtime's own time zone, as Java uses the JVM default. */
export const systemTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone

const pad = (n: number, width = 2): string => String(n).padStart(width, "0")

export interface LocalTime {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
}

/** Wall-clock time of `instant` in `timeZone` (whole seconds). Throws a RangeError for an unknown time zone. */
export const localTime = (instant: Date, timeZone: string): LocalTime => {
  if (!Number.isFinite(instant.getTime())) throw new RangeError("not a valid date")
  const parts: Record<string, number> = {}
  for (const p of formatterFor(timeZone).formatToParts(instant)) {
    if (p.type !== "literal") parts[p.type] = Number(p.value)
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  }
}

/** Throws a RangeError for an unknown time zone. */
export const formatSigningTime = (instant: Date, timeZone: string): string => {
  const ms = instant.getTime()
  const parts = localTime(instant, timeZone)
  const millis = ((ms % 1000) + 1000) % 1000
  const wholeSeconds = ms - millis
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second)
  const offsetMinutes = Math.round((wall - wholeSeconds) / 60_000)
  const date = `${pad(parts.year, 4)}-${pad(parts.month)}-${pad(parts.day)}`
  const time = `${pad(parts.hour)}:${pad(parts.minute)}:${pad(parts.second)}${millis === 0 ? "" : "." + pad(millis, 3)}`
  if (offsetMinutes === 0) return `${date}T${time}Z`
  const abs = Math.abs(offsetMinutes)
  return `${date}T${time}${offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}
