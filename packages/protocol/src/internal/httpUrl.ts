/**
 * The rule for every URL a server hands the client to follow (status, redirect, confirmation, downloads,
 * deletion, cancellation): an absolute `http:` or `https:` URL, nothing else. A `javascript:`, `data:` or
 * `file:` URL, or a relative one, would otherwise travel on to a browser redirect or a request as data we trusted.
 * Whether plain `http:` may be followed is the client's decision (it knows its environment), not the decoder's.
 */

const httpScheme = /^https?:\/\//i
// Whitespace and controls inside a URL are silently dropped or re-encoded by URL parsers, so the string a caller
// follows could differ from the one checked: refuse them instead.
const unsafe = /[\u0000-\u0020\u007f-\u009f]/

/** Whether `value` is an absolute http(s) URL with a host, exactly as given (no normalization needed to read it). */
export const isHttpUrl = (value: string): boolean => {
  if (!httpScheme.test(value) || unsafe.test(value)) return false
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== ""
}
