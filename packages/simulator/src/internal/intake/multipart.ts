/**
 * multipart/mixed (RFC 2046 §5.1) as the signature job creation uses it: two unnamed parts told apart by their
 * Content-Type. Tolerant where clients differ (CRLF or bare LF, preamble and epilogue, transport padding after
 * the boundary, `Content-Disposition: attachment`, header folding), strict about the structure.
 */

export class MultipartError extends Error {
  override readonly name = "MultipartError"
}

export interface Part {
  /** Lower-cased header names; values unfolded and trimmed. */
  readonly headers: ReadonlyMap<string, string>
  /** The media type without parameters, lower case ("" when the part has no Content-Type). */
  readonly mediaType: string
  readonly body: Uint8Array
}

/** Splits a header value into its main value and `;`-separated parameters (quoted strings understood). */
export const parseHeaderValue = (value: string): { value: string; parameters: Map<string, string> } => {
  const parameters = new Map<string, string>()
  const semicolon = value.indexOf(";")
  const main = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase()
  const rest = semicolon < 0 ? "" : value.slice(semicolon + 1)
  const re = /\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))\s*(?:;|$)/g
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    if (m[0] === "") break
    const quoted = m[2]
    parameters.set(m[1]!.toLowerCase(), quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : (m[3] ?? "").trim())
  }
  return { value: main, parameters }
}

const decodeLatin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1")

const parseHeaders = (block: string): Map<string, string> => {
  const headers = new Map<string, string>()
  const lines = block.split(/\r?\n/)
  const unfolded: Array<string> = []
  for (const line of lines) {
    if (/^[ \t]/.test(line) && unfolded.length > 0) unfolded[unfolded.length - 1] += ` ${line.trim()}`
    else if (line !== "") unfolded.push(line)
  }
  for (const line of unfolded) {
    const colon = line.indexOf(":")
    if (colon <= 0) throw new MultipartError(`malformed part header line ${JSON.stringify(line.slice(0, 60))}`)
    const name = line.slice(0, colon).trim().toLowerCase()
    if (headers.has(name)) throw new MultipartError(`the part header ${name} appears twice`)
    headers.set(name, line.slice(colon + 1).trim())
  }
  return headers
}

const MAX_PARTS = 16
const MAX_HEADER_BYTES = 8192

/** Parses a multipart body given the full Content-Type header value. Throws `MultipartError`. */
export const parseMultipart = (contentType: string, body: Uint8Array): Array<Part> => {
  const { value: mediaType, parameters } = parseHeaderValue(contentType)
  if (!mediaType.startsWith("multipart/")) {
    throw new MultipartError(`the request must be multipart/mixed, got ${JSON.stringify(mediaType || "(none)")}`)
  }
  const boundary = parameters.get("boundary")
  if (!boundary || boundary.length > 70) {
    throw new MultipartError("the multipart Content-Type has no valid boundary parameter")
  }
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const delimiter = Buffer.from(`--${boundary}`, "latin1")

  // Delimiters are recognized only at the start of the body or of a line.
  const findDelimiter = (from: number): number => {
    let at = buffer.indexOf(delimiter, from)
    while (at >= 0 && at !== 0 && buffer[at - 1] !== 0x0a) at = buffer.indexOf(delimiter, at + 1)
    return at
  }
  // Skips transport padding and the line break after a delimiter; returns the index after the line end.
  const afterDelimiterLine = (at: number): number => {
    let i = at + delimiter.length
    while (i < buffer.length && (buffer[i] === 0x20 || buffer[i] === 0x09)) i++
    if (buffer[i] === 0x0d && buffer[i + 1] === 0x0a) return i + 2
    if (buffer[i] === 0x0a) return i + 1
    throw new MultipartError("a multipart boundary line is not followed by a line break")
  }

  let at = findDelimiter(0)
  if (at < 0) throw new MultipartError("the multipart body contains no boundary")
  const parts: Array<Part> = []
  for (;;) {
    if (buffer[at + delimiter.length] === 0x2d && buffer[at + delimiter.length + 1] === 0x2d) break // close
    const start = afterDelimiterLine(at)
    const next = findDelimiter(start)
    if (next < 0) throw new MultipartError("the multipart body ends without a closing boundary")
    // The line break before a delimiter belongs to the delimiter.
    let end = next
    if (end > start && buffer[end - 1] === 0x0a) end--
    if (end > start && buffer[end - 1] === 0x0d) end--
    const content = buffer.subarray(start, Math.max(start, end))

    let headerEnd = -1
    let bodyStart = -1
    for (const [sep, len] of [
      ["\r\n\r\n", 4],
      ["\n\n", 2],
    ] as const) {
      const i = content.indexOf(sep, 0, "latin1")
      if (i >= 0 && (headerEnd < 0 || i < headerEnd)) {
        headerEnd = i
        bodyStart = i + len
      }
    }
    // A part may start directly with the blank line (no headers).
    if (content[0] === 0x0d && content[1] === 0x0a) {
      headerEnd = 0
      bodyStart = 2
    } else if (content[0] === 0x0a) {
      headerEnd = 0
      bodyStart = 1
    }
    if (headerEnd < 0) throw new MultipartError("a multipart part has no blank line after its headers")
    if (headerEnd > MAX_HEADER_BYTES) throw new MultipartError("the part headers are too large")
    const headers = parseHeaders(decodeLatin1(content.subarray(0, headerEnd)))
    let partBody: Uint8Array = content.subarray(bodyStart)
    const encoding = (headers.get("content-transfer-encoding") ?? "binary").toLowerCase()
    if (encoding === "base64") partBody = Buffer.from(decodeLatin1(partBody).replace(/\s+/g, ""), "base64")
    else if (!["binary", "8bit", "7bit"].includes(encoding)) {
      throw new MultipartError(`unsupported Content-Transfer-Encoding ${JSON.stringify(encoding)}`)
    }
    const partType = headers.get("content-type")
    parts.push({ headers, mediaType: partType ? parseHeaderValue(partType).value : "", body: partBody })
    if (parts.length > MAX_PARTS) throw new MultipartError(`more than ${MAX_PARTS} multipart parts`)
    at = next
  }
  return parts
}
