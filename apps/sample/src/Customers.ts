/** The demo's customers: fixed names with synthetic numbers, so a demo can be repeated and pages can link to them. */
import * as Pin from "./Pin.js"

export interface Customer {
  readonly name: string
  readonly pin: string
}

const people = [
  { name: "Kari Nordmann", birthDate: { day: 12, month: 3, year: 1985 } },
  { name: "Ola Nordmann", birthDate: { day: 1, month: 11, year: 1979 } },
  { name: "Ingrid Berg", birthDate: { day: 24, month: 6, year: 1992 } },
  { name: "Per Hansen", birthDate: { day: 7, month: 9, year: 1968 } },
] as const

export const demo: ReadonlyArray<Customer> = people.map((p, i) => ({
  name: p.name,
  pin: Pin.synthetic(p.birthDate, 100 + i * 37),
}))

/** A fresh synthetic number to pre-fill the "type your own" login form. */
export const suggestPin = (random: () => number = Math.random): string => {
  const day = 1 + Math.floor(random() * 28)
  const month = 1 + Math.floor(random() * 12)
  const year = 1950 + Math.floor(random() * 50)
  return Pin.synthetic({ day, month, year }, Math.floor(random() * 500))
}
