/**
 * `X-Next-permitted-poll-time`: an ISO-8601 date-time with offset. Java parses it with `ISO_DATE_TIME`,
 * which also accepts a trailing zone id (`2024-01-01T10:00:00+01:00[Europe/Oslo]`) and no offset
 * at all (a local time, which we cannot place: rejected).
 */
const isoDateTime =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})(?:\[[^\]]+\])?$/i

export const NEXT_PERMITTED_POLL_TIME = "x-next-permitted-poll-time"

/** Parses the header value, or `undefined` when it is absent or not an ISO-8601 date-time with offset. */
export const parsePollTime = (value: string | undefined): Date | undefined => {
  if (value === undefined) return undefined
  const m = isoDateTime.exec(value.trim())
  if (m === null) return undefined
  const [, y, mo, d, h, mi, s = "00", frac = "", zone = "Z"] = m
  const ms = frac === "" ? "" : `.${frac.padEnd(3, "0").slice(0, 3)}`
  const offset = zone.toUpperCase() === "Z" ? "Z" : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${offset}`)
  return Number.isNaN(date.getTime()) ? undefined : date
}
