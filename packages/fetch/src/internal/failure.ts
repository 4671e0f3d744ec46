/**
 * A `fetch` failure as the client's port understands it (`TransportFailure` from `@signering/client`). Node's
 * `fetch` is undici (`TypeError("fetch failed")` with an `UND_ERR_*` or system error as its cause); Bun and Deno
 * report system and TLS codes, which `TransportFailure.fromCause` classifies for every runtime.
 */
import { TransportFailure } from "@signering/client"
import { HttpClientError } from "effect/http"

/** The codes of Node's fetch (undici) that change what a failure means for a retry. */
export const nodeFetchCodes: TransportFailure.AdapterCodes = {
  connect: ["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_CONNECT"],
  closed: ["UND_ERR_SOCKET", "UND_ERR_CLOSED", "UND_ERR_RES_CONTENT_LENGTH_MISMATCH"],
  aborted: ["UND_ERR_ABORTED", "UND_ERR_DESTROYED"],
}

/** Replaces the cause of a transport-level `HttpClientError` with the port's `TransportFailure`; others pass. */
export const mapFailure = (error: HttpClientError.HttpClientError): HttpClientError.HttpClientError => {
  const reason = error.reason
  if (reason._tag !== "TransportError") return error
  return new HttpClientError.HttpClientError({
    reason: new HttpClientError.TransportError({
      request: reason.request,
      cause: TransportFailure.fromCause(reason.cause ?? error, nodeFetchCodes),
    }),
  })
}
