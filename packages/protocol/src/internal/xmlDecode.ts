/**
 * The element reader every message decoder (direct and portal, client and server side) is written with:
 * `run` parses through the hardened `readRoot` and turns the reader's typed aborts back into a `Result`;
 * `Reader` walks one element with the path used in error messages.
 */
import { Result } from "effect"
import type { SignerRef } from "../DirectResponse.js"
import { DecodeError } from "../ProtocolError.js"
import { isHttpUrl } from "./httpUrl.js"
import { attributeOf, childElements, type Elem, type ReadOptions, readRoot, textOf } from "./xmlRead.js"

/**
 * Most signers (statuses, XAdES URLs, signatures) a decoded message may list: the protocol allows 10 per job; ten
 * times that leaves room for a future service limit while keeping what a hostile answer can make us build small.
 */
export const maxSigners = 100

/** Internal short-circuit: thrown only inside `run`, which turns it back into a `Result`. */
export class Abort {
  constructor(readonly error: DecodeError) {}
}

export const run = <A>(
  input: string | Uint8Array,
  expected: string,
  options: ReadOptions | undefined,
  body: (root: Reader) => A,
): Result.Result<A, DecodeError> => {
  const root = readRoot(input, expected, options)
  if (root._tag === "Failure") return Result.fail(root.failure)
  try {
    return Result.succeed(body(new Reader(root.success, expected, expected)))
  } catch (e) {
    if (e instanceof Abort) return Result.fail(e.error)
    // Defensive: nothing above should throw, but a decoder must never throw untyped.
    return Result.fail(new DecodeError({ reason: "Malformed", expected, detail: "unreadable document" }))
  }
}

const long = /^[+-]?[0-9]+$/
const minLong = -(2n ** 63n)
const maxLong = 2n ** 63n - 1n
const hasOffset = /(?:Z|[+-]\d{2}:\d{2})$/
const dateTime = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/

/** Wraps one element with the path used in error messages. */
export class Reader {
  private children: Map<string, Array<Elem>> | undefined
  constructor(
    readonly el: Elem,
    readonly path: string,
    readonly expected: string,
  ) {}

  fail(reason: DecodeError["reason"], detail: string): never {
    throw new Abort(new DecodeError({ reason, expected: this.expected, detail }))
  }

  all(name: string): Array<Reader> {
    this.children ??= childElements(this.el)
    const list = this.children.get(name)
    return list === undefined ? [] : list.map((el) => new Reader(el, `${this.path}/${name}`, this.expected))
  }

  /** `all(name)`, refused as `TooLarge` past `max` (a list the protocol bounds, e.g. signers). */
  bounded(name: string, max: number): Array<Reader> {
    const list = this.all(name)
    if (list.length > max)
      this.fail("TooLarge", `${this.path}/${name} occurs ${list.length} times, at most ${max} accepted`)
    return list
  }

  optional(name: string): Reader | undefined {
    const list = this.all(name)
    if (list.length > 1)
      this.fail("InvalidValue", `${this.path}/${name} occurs ${list.length} times, at most once allowed`)
    return list[0]
  }

  required(name: string): Reader {
    const r = this.optional(name)
    if (r === undefined) this.fail("MissingElement", `${this.path}/${name} is missing`)
    return r
  }

  /** String content exactly as sent (xs:string keeps whitespace). */
  text(): string {
    const t = textOf(this.el)
    if (t === undefined) this.fail("InvalidValue", `${this.path} must have text content`)
    return t
  }

  /** Whitespace-collapsed content, for typed values (longs, enums, dates, URLs). */
  token(): string {
    return this.text().trim()
  }

  optionalText(name: string): string | undefined {
    return this.optional(name)?.text()
  }

  optionalToken(name: string): string | undefined {
    return this.optional(name)?.token()
  }

  requiredToken(name: string): string {
    return this.required(name).token()
  }

  attribute(name: string): string | undefined {
    return attributeOf(this.el, name)
  }

  requiredAttribute(name: string): string {
    const v = this.attribute(name)
    if (v === undefined) this.fail("MissingElement", `${this.path}/@${name} is missing`)
    return v
  }

  long(name: string): bigint {
    const r = this.required(name)
    const t = r.token()
    if (!long.test(t)) r.fail("InvalidValue", `${r.path} is not an integer`)
    const n = BigInt(t)
    if (n < minLong || n > maxLong) r.fail("InvalidValue", `${r.path} is out of the xs:long range`)
    return n
  }

  oneOf<A extends string>(value: string, allowed: ReadonlyArray<A>, what: string): A {
    if (!(allowed as ReadonlyArray<string>).includes(value)) {
      this.fail("InvalidValue", `${what} is not one of ${allowed.join(", ")}`)
    }
    return value as A
  }

  optionalOneOf<A extends string>(name: string, allowed: ReadonlyArray<A>): A | undefined {
    const r = this.optional(name)
    return r === undefined ? undefined : r.oneOf(r.token(), allowed, r.path)
  }

  /**
   * An instant sent by the server. The schema type allows a dateTime without an offset, but that names no instant
   * (Java would read it in the JVM's zone, we would have to guess UTC); the service always sends one (PROTOCOL
   * §13.9), so a value without is refused rather than read an hour or two off.
   */
  dateTimeAttribute(name: string): Date {
    const raw = this.requiredAttribute(name).trim()
    const d = parseDateTime(raw)
    if (d === undefined) this.fail("InvalidValue", `${this.path}/@${name} is not a valid xs:dateTime`)
    if (!hasOffset.test(raw)) this.fail("InvalidValue", `${this.path}/@${name} has no time zone offset (Z or ±hh:mm)`)
    return d
  }

  /** This element's content as a URL to follow: absolute http(s), else an `InvalidValue` naming the field. */
  url(): string {
    const t = this.token()
    // The value is not echoed: such URLs carry tokens.
    if (!isHttpUrl(t)) this.fail("InvalidValue", `${this.path} is not an absolute http(s) URL`)
    return t
  }

  optionalUrl(name: string): string | undefined {
    return this.optional(name)?.url()
  }

  requiredUrl(name: string): string {
    return this.required(name).url()
  }

  /** A required attribute holding a URL to follow (a signer's `href`), checked as `url()`. */
  urlAttribute(name: string): string {
    const v = this.requiredAttribute(name).trim()
    if (!isHttpUrl(v)) this.fail("InvalidValue", `${this.path}/@${name} is not an absolute http(s) URL`)
    return v
  }

  /** `personal-identification-number` or `signer-identifier` (exactly one). */
  signerRef(): SignerRef {
    const pin = this.optional("personal-identification-number")
    const custom = this.optional("signer-identifier")
    if (pin !== undefined && custom !== undefined) {
      this.fail("InvalidValue", `${this.path} has both personal-identification-number and signer-identifier`)
    }
    if (pin !== undefined) return { _tag: "PersonalIdentificationNumber", value: pin.token() }
    if (custom !== undefined) return { _tag: "CustomIdentifier", value: custom.text() }
    return this.fail("MissingElement", `${this.path} needs personal-identification-number or signer-identifier`)
  }
}

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate()

/** xs:dateTime → Date. Without an offset the value is read as UTC (the server always sends one). */
export const parseDateTime = (value: string): Date | undefined => {
  const m = dateTime.exec(value)
  if (m === null) return undefined
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m
  const year = Number(ys)
  const month = Number(mos)
  const day = Number(ds)
  const hour = Number(hs)
  const minute = Number(mis)
  const second = Number(ss)
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMinutes = 0
  if (zone !== undefined && zone !== "Z") {
    const oh = Number(zone.slice(1, 3))
    const om = Number(zone.slice(4, 6))
    if (oh > 14 || om > 59 || (oh === 14 && om > 0)) return undefined
    offsetMinutes = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om)
  }
  const ms = frac === undefined ? 0 : Math.floor(Number(`0${frac}`) * 1000)
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  d.setUTCHours(hour, minute, second, ms)
  const t = d.getTime() - offsetMinutes * 60_000
  return Number.isFinite(t) ? new Date(t) : undefined
}
