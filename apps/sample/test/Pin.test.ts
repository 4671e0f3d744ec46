import { describe, expect, it } from "vitest"
import * as Customers from "../src/Customers.js"
import * as Pin from "../src/Pin.js"

describe("Pin", () => {
  it("accepts a number with both check digits right and refuses any single-digit change", () => {
    const pin = Pin.synthetic({ day: 12, month: 3, year: 1985 })
    expect(Pin.isValid(pin)).toBe(true)
    for (let i = 0; i < 11; i++) {
      const changed = `${pin.slice(0, i)}${(Number(pin[i]) + 1) % 10}${pin.slice(i + 1)}`
      expect(Pin.isValid(changed), changed).toBe(false)
    }
  })

  it("refuses what is not 11 digits", () => {
    for (const bad of ["", "1234567890", "123456789012", "1234567890a", " 12345678901"])
      expect(Pin.isValid(bad)).toBe(false)
  })

  it("makes synthetic numbers (month + 80) with valid check digits for every date", () => {
    for (let month = 1; month <= 12; month++) {
      for (let day = 1; day <= 28; day += 9) {
        const pin = Pin.synthetic({ day, month, year: 1990 })
        expect(Pin.isValid(pin)).toBe(true)
        expect(Number(pin.slice(2, 4))).toBe(month + 80)
      }
    }
  })

  it("gives the demo customers stable, valid, distinct numbers and suggests valid ones", () => {
    const pins = Customers.demo.map((c) => c.pin)
    expect(new Set(pins).size).toBe(pins.length)
    for (const pin of pins) expect(Pin.isValid(pin)).toBe(true)
    expect(Customers.demo.map((c) => c.pin)).toEqual(pins)
    let seed = 1
    const random = () => {
      seed = (seed * 16807) % 2147483647
      return seed / 2147483647
    }
    for (let i = 0; i < 50; i++) expect(Pin.isValid(Customers.suggestPin(random))).toBe(true)
  })

  it("masks all but the birth date", () => {
    expect(Pin.mask("12345678901")).toBe("123456*****")
  })
})
