/**
 * The lean lane (`Exchange` from `@signering/client`) over a `fetch`: the same call effect's fetch client makes, with
 * the same `RequestInit` (TLS options of Bun, Deno's client), without effect's request and response objects around
 * it. Runs wherever `fetch` and web streams do (Node, Deno, Bun, workerd).
 */
import { type Exchange, TransportFailure } from "@signering/client"
import { nodeFetchCodes } from "./failure.js"

const fail = (cause: unknown): never => {
  throw TransportFailure.fromCause(cause, nodeFetchCodes)
}

interface WebResponse {
  readonly status: number
  readonly headers: { forEach(f: (value: string, name: string) => void): void }
  readonly body: ReadableStream<Uint8Array> | null
  arrayBuffer(): Promise<ArrayBuffer>
}

async function* chunksOf(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (body === null) return
  // A reader rather than `for await` over the stream: not every runtime's ReadableStream is async-iterable.
  const reader = body.getReader()
  let done = false
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>
      try {
        next = await reader.read()
      } catch (cause) {
        return fail(cause)
      }
      if (next.done) {
        done = true
        return
      }
      yield next.value
    }
  } finally {
    // Stopped early: cancelling the body gives the connection back.
    if (!done) reader.cancel().catch(() => {})
  }
}

export const make =
  // biome-ignore lint/suspicious/noExplicitAny: see FetchTransport.Fetch
    (fetch: (input: string, init?: any) => Promise<any>, init: object): Exchange.Exchange =>
    (request) => {
      const controller = new AbortController()
      const response = (async (): Promise<Exchange.Response> => {
        let answer: WebResponse
        try {
          answer = await fetch(request.url, {
            ...init,
            method: request.method,
            headers: request.headers,
            body: request.body,
            signal: controller.signal,
          })
        } catch (cause) {
          return fail(cause)
        }
        const headers: Record<string, string> = {}
        answer.headers.forEach((value, name) => {
          headers[name] = value
        })
        return {
          status: answer.status,
          headers,
          bytes: () => answer.arrayBuffer().then((buffer) => new Uint8Array(buffer), fail),
          chunks: () => chunksOf(answer.body),
          discard: () => {
            answer.body?.cancel().catch(() => {})
          },
        }
      })()
      return { response, abort: () => controller.abort() }
    }
