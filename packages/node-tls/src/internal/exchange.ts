/**
 * The lean lane (`Exchange` from `@signering/client`) over an undici dispatcher. It uses `dispatcher.dispatch` with
 * its own handler, not `dispatcher.request`: no body stream, no async resource, no abort-signal listener per request.
 * The body's chunks are kept as they arrive (the signering API's answers are small) or handed to a reader, with
 * backpressure (the connection is paused while more than `HIGH_WATER` bytes wait), for a streamed download.
 */
import type { Exchange } from "@signering/client"
import type { Dispatcher } from "undici"
import { toTransportFailure } from "./failure.js"

const HIGH_WATER = 64 * 1024
/** A body given up unread is read to its end, to keep the connection, when no more than this is left. */
const DRAIN_AT_MOST = 128 * 1024

class Aborted extends Error {
  override readonly name = "AbortError"
  readonly code = "UND_ERR_ABORTED"
  constructor() {
    super("the client gave up on the request")
  }
}

/** undici gives a repeated header as an array; the lane joins it as HTTP allows for list-valued fields. */
const singleValued = (
  headers: Record<string, string | Array<string> | undefined>,
): Record<string, string | undefined> => {
  for (const name in headers) {
    if (typeof headers[name] !== "string") {
      const out: Record<string, string | undefined> = {}
      for (const key in headers) {
        const value = headers[key]
        out[key] = Array.isArray(value) ? value.join(", ") : value
      }
      return out
    }
  }
  return headers as Record<string, string>
}

/** One exchange: the handler undici calls, and the `Call` and `Response` the client reads. */
class Handler implements Dispatcher.DispatchHandler, Exchange.Response {
  status = 0
  headers: Record<string, string | undefined> = {}
  readonly response: Promise<Exchange.Response>
  private resolveResponse!: (response: Exchange.Response) => void
  private rejectResponse!: (error: unknown) => void
  private controller: Dispatcher.DispatchController | undefined
  private started = false
  private ended = false
  private failed: unknown
  private aborted = false
  private dropping = false
  /** Read whole (`bytes()`): the reader takes everything, so the connection is never paused. */
  private collecting = false
  private readonly queue: Array<Buffer> = []
  private queued = 0
  private received = 0
  /** The reader waiting for a chunk, the end or a failure (bytes() or chunks()). */
  private wake: (() => void) | undefined

  constructor() {
    this.response = new Promise((resolve, reject) => {
      this.resolveResponse = resolve
      this.rejectResponse = reject
    })
  }

  readonly abort = (): void => {
    if (this.aborted || this.ended || this.failed !== undefined) return
    this.aborted = true
    const reason = new Aborted()
    this.controller?.abort(reason)
    this.fail(reason)
  }

  private fail(cause: unknown): void {
    if (this.failed !== undefined || this.ended) return
    this.failed = toTransportFailure(cause)
    if (!this.started) this.rejectResponse(this.failed)
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.aborted) controller.abort(new Aborted())
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | Array<string> | undefined>,
  ): void {
    // 1xx answers are interim; the final one follows.
    if (statusCode < 200) return
    this.status = statusCode
    this.headers = singleValued(headers)
    this.started = true
    this.resolveResponse(this)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.received += chunk.length
    if (this.dropping || chunk.length === 0) return
    this.queue.push(chunk)
    this.queued += chunk.length
    if (this.queued > HIGH_WATER && !this.collecting) controller.pause()
    this.notify()
  }

  onResponseEnd(): void {
    this.ended = true
    this.notify()
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error)
  }

  private take(): Buffer | undefined {
    const chunk = this.queue.shift()
    if (chunk !== undefined) {
      this.queued -= chunk.length
      if (this.queued <= HIGH_WATER && this.controller?.paused === true) this.controller.resume()
    }
    return chunk
  }

  private waitForMore(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve
    })
  }

  readonly bytes = async (): Promise<Uint8Array> => {
    this.collecting = true
    if (this.controller?.paused === true) this.controller.resume()
    while (!this.ended) {
      if (this.failed !== undefined) throw this.failed
      await this.waitForMore()
    }
    if (this.queue.length === 1) return this.queue[0] as Buffer
    return Buffer.concat(this.queue, this.queued)
  }

  readonly chunks = (): AsyncIterable<Uint8Array> => {
    const self = this
    return {
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<Uint8Array>> {
          for (;;) {
            const chunk = self.take()
            if (chunk !== undefined) return { done: false, value: chunk }
            if (self.ended) return { done: true, value: undefined }
            if (self.failed !== undefined) throw self.failed
            await self.waitForMore()
          }
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          self.discard()
          return { done: true, value: undefined }
        },
      }),
    }
  }

  readonly discard = (): void => {
    if (this.ended || this.failed !== undefined) return
    this.queue.length = 0
    this.queued = 0
    const declared = Number(this.headers["content-length"])
    if (Number.isSafeInteger(declared) && declared - this.received <= DRAIN_AT_MOST) {
      // A small rest: read it and throw it away, so the connection stays in the pool.
      this.dropping = true
      if (this.controller?.paused === true) this.controller.resume()
    } else this.abort()
  }
}

/**
 * Origin and path of a URL as undici wants them. The same few URLs recur on every request (a sender's create, its
 * queue's poll): parsed once, kept in a small cache dropped wholesale when full.
 */
const target = (url: string): { readonly origin: string; readonly path: string } => {
  let found = targets.get(url)
  if (found === undefined) {
    const parsed = new URL(url)
    found = { origin: parsed.origin, path: parsed.pathname + parsed.search }
    if (targets.size >= 256) targets.clear()
    targets.set(url, found)
  }
  return found
}
const targets = new Map<string, { readonly origin: string; readonly path: string }>()

export const make =
  (dispatcher: Dispatcher): Exchange.Exchange =>
  (request) => {
    const handler = new Handler()
    try {
      const url = target(request.url)
      dispatcher.dispatch(
        {
          origin: url.origin,
          path: url.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers,
          body: request.body ?? null,
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        handler,
      )
    } catch (cause) {
      // A URL `new URL` refuses is the client's to report as such; anything else is the transport's failure.
      return {
        response: Promise.reject(cause instanceof TypeError ? cause : toTransportFailure(cause)),
        abort: () => {},
      }
    }
    return handler
  }
