/**
 * Masking of secrets in URLs and server texts, applied before anything reaches an error, a log or a span.
 */

const MASK = "***"

/** Query parameter names whose values are secrets. */
const secretParam = /token|signature|secret|password|passphrase/i

/**
 * Masks `status_query_token` (and any other token-like query value) and the fragment, where the
 * service puts one-time redirect tokens (`https://signering.posten.no#/redirect/<token>`).
 * Works on anything: an unparsable string is masked from its first `?` or `#` on, since a
 * secret could hide there and the rest is not needed to locate the request.
 */
export const maskUrl = (url: string): string => {
  const cached = cache.get(url)
  if (cached !== undefined) return cached
  const masked = mask(url)
  // The same few URLs (create, poll) recur on every request: keep a small cache, dropped wholesale when full.
  if (cache.size >= 256) cache.clear()
  cache.set(url, masked)
  return masked
}

const cache = new Map<string, string>()

const mask = (url: string): string => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    const cut = url.search(/[?#]/)
    return cut === -1 ? url : `${url.slice(0, cut)}${url[cut]}${MASK}`
  }
  let query = ""
  if (parsed.search !== "") {
    query = `?${parsed.search
      .slice(1)
      .split("&")
      .map((pair) => {
        const eq = pair.indexOf("=")
        const name = eq === -1 ? pair : pair.slice(0, eq)
        let decoded = name
        try {
          decoded = decodeURIComponent(name.replace(/\+/g, " "))
        } catch {
          // keep the raw name
        }
        return eq !== -1 && secretParam.test(decoded) ? `${name}=${MASK}` : pair
      })
      .join("&")}`
  }
  const fragment = parsed.hash === "" ? "" : `#${MASK}`
  // A path segment that looks like a long random token (as in `/signere/<token>`) is masked too.
  const path = parsed.pathname
    .split("/")
    .map((segment) => (/^[A-Za-z0-9_-]{32,}$/.test(segment) && /[A-Za-z]/.test(segment) ? MASK : segment))
    .join("/")
  const auth = parsed.username !== "" || parsed.password !== "" ? `${MASK}@` : ""
  return `${parsed.protocol}//${auth}${parsed.host}${path}${query}${fragment}`
}

/**
 * Personal identification numbers in the spellings people and systems use: `01017012345`, `010170 12345`,
 * `010170-12345`, `01.01.70 12345`, `01.01.1970 12345`, `01 01 70 12345`, `01/01/70-12345`.
 */
const pinSpellings = [
  /(?<![0-9])[0-9]{6}[ .-]?[0-9]{5}(?![0-9])/g,
  /(?<![0-9])[0-9]{2}[ ./-][0-9]{2}[ ./-](?:[0-9]{4}|[0-9]{2})[ .-]?[0-9]{5}(?![0-9])/g,
]

/** Masks anything shaped like a personal identification number, in any common spelling. */
export const maskPins = (text: string): string => {
  let out = text
  for (const spelling of pinSpellings) out = out.replace(spelling, "***********")
  return out
}

/**
 * Server messages may echo request values (a schema validation message quotes the offending value),
 * so anything shaped like a personal identification number (11 digits) is masked, and the text is bounded.
 */
export const maskServerText = (text: string, maxLength = 500): string => {
  const masked = maskPins(text)
  return masked.length > maxLength ? `${masked.slice(0, maxLength)}…` : masked
}
