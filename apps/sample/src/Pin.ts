/**
 * Synthetic Norwegian personal identification numbers for the demo login.
 *
 * The service checks the two mod-11 check digits, not whether the person exists. Demo numbers add 80 to the
 * month, as synthetic test numbers in Norway's test registry (Tenor) do, so they can never belong to a real person.
 */

const weights1 = [3, 7, 6, 1, 8, 9, 4, 5, 2] as const
const weights2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const

const checkDigit = (digits: string, weights: ReadonlyArray<number>): number | undefined => {
  let sum = 0
  for (let i = 0; i < weights.length; i++) sum += Number(digits[i]) * (weights[i] ?? 0)
  const k = 11 - (sum % 11)
  if (k === 11) return 0
  return k === 10 ? undefined : k
}

/** `true` when `value` is 11 digits with both check digits right. */
export const isValid = (value: string): boolean => {
  if (!/^[0-9]{11}$/.test(value)) return false
  const k1 = checkDigit(value, weights1)
  const k2 = checkDigit(value, weights2)
  return k1 === Number(value[9]) && k2 === Number(value[10])
}

/** Completes nine leading digits with both check digits, or `undefined` when no check digit exists for them. */
export const complete = (nineDigits: string): string | undefined => {
  if (!/^[0-9]{9}$/.test(nineDigits)) return undefined
  const k1 = checkDigit(nineDigits, weights1)
  if (k1 === undefined) return undefined
  const k2 = checkDigit(`${nineDigits}${k1}`, weights2)
  return k2 === undefined ? undefined : `${nineDigits}${k1}${k2}`
}

/**
 * A synthetic number for a birth date: `DD (MM+80) YY` plus the first individual number from `seed` on that has
 * valid check digits. Deterministic, so the demo customers keep their numbers across restarts.
 */
export const synthetic = (birthDate: { day: number; month: number; year: number }, seed = 0): string => {
  const dd = String(birthDate.day).padStart(2, "0")
  const mm = String(birthDate.month + 80)
  const yy = String(birthDate.year % 100).padStart(2, "0")
  // 1900–1999 uses individual numbers 000–499; enough candidates exist for every date.
  for (let i = 0; i < 500; i++) {
    const individual = String((seed + i) % 500).padStart(3, "0")
    const pin = complete(`${dd}${mm}${yy}${individual}`)
    if (pin !== undefined) return pin
  }
  throw new Error("no synthetic number exists for this date")
}

/** Shows the birth-date part only, for pages and logs. */
export const mask = (value: string): string => `${value.slice(0, 6)}*****`
