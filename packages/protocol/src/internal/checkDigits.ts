/**
 * Mod-11 check digits of Norwegian identity numbers (fødselsnummer, D-number) and organization numbers.
 *
 * Only the arithmetic is checked, not the embedded birth date: synthetic test numbers (Tenor, H-numbers)
 * shift the month or day and would fail a date check while still carrying valid check digits.
 */

const pinWeights1 = [3, 7, 6, 1, 8, 9, 4, 5, 2] as const
const pinWeights2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const
const orgWeights = [3, 2, 7, 6, 5, 4, 3, 2] as const

const digitsOnly = (value: string, length: number): boolean => {
  if (value.length !== length) return false
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

/** The check digit for `digits` under `weights`, or `undefined` when the remainder makes the number impossible. */
const mod11 = (value: string, weights: ReadonlyArray<number>): number | undefined => {
  let sum = 0
  for (let i = 0; i < weights.length; i++) sum += (value.charCodeAt(i) - 48) * weights[i]!
  const k = 11 - (sum % 11)
  if (k === 11) return 0
  if (k === 10) return undefined
  return k
}

/** `[0-9]{11}`, the schema's pattern for a personal identification number. */
export const isElevenDigits = (value: string): boolean => digitsOnly(value, 11)

/** `[0-9]{9}`, the schema's pattern for an organization number. */
export const isNineDigits = (value: string): boolean => digitsOnly(value, 9)

/** Both check digits of an 11-digit fødselsnummer or D-number are correct. */
export const hasValidPinCheckDigits = (value: string): boolean => {
  if (!isElevenDigits(value)) return false
  const k1 = mod11(value, pinWeights1)
  if (k1 === undefined || k1 !== value.charCodeAt(9) - 48) return false
  const k2 = mod11(value, pinWeights2)
  return k2 !== undefined && k2 === value.charCodeAt(10) - 48
}

/** The check digit of a 9-digit organization number is correct. */
export const hasValidOrgNumberCheckDigit = (value: string): boolean => {
  if (!isNineDigits(value)) return false
  const k = mod11(value, orgWeights)
  return k !== undefined && k === value.charCodeAt(8) - 48
}

/**
 * Completes 9 leading digits to an 11-digit number with valid check digits, or `undefined` when no check
 * digit exists for them. Used by tests and by callers that generate synthetic numbers.
 */
export const completePin = (nineDigits: string): string | undefined => {
  if (!digitsOnly(nineDigits, 9)) return undefined
  const k1 = mod11(nineDigits, pinWeights1)
  if (k1 === undefined) return undefined
  const ten = nineDigits + String(k1)
  const k2 = mod11(ten, pinWeights2)
  return k2 === undefined ? undefined : ten + String(k2)
}

/** Completes 8 leading digits to a 9-digit organization number, or `undefined` when impossible. */
export const completeOrgNumber = (eightDigits: string): string | undefined => {
  if (!digitsOnly(eightDigits, 8)) return undefined
  const k = mod11(eightDigits, orgWeights)
  return k === undefined ? undefined : eightDigits + String(k)
}

/** At most the first 6 characters (the birth date part), the rest as `*`: safe for messages and logs. */
export const maskPin = (value: string): string => {
  const shown = value.slice(0, Math.min(6, Math.max(0, value.length - 5)))
  return shown + "*".repeat(Math.max(0, Math.min(value.length, 32) - shown.length))
}
