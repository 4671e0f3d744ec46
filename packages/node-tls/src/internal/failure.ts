/**
 * undici's failures as the client's port understands them (`TransportFailure` from `@signering/client`): this
 * adapter knows undici's `UND_ERR_*` codes, the client does not. What every runtime reports alike (system codes,
 * OpenSSL certificate codes, TLS alerts, `ServerIdentityError`) is classified by `TransportFailure.fromCause`.
 */
import { TransportFailure } from "@signering/client"

/** undici's codes by what they mean for a retry: `connect` ones prove nothing was sent. */
export const undiciCodes: TransportFailure.AdapterCodes = {
  connect: ["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_CONNECT"],
  closed: [
    "UND_ERR_SOCKET",
    "UND_ERR_CLOSED",
    "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH",
    "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
    "UND_ERR_INFO",
  ],
  timeout: ["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"],
  aborted: ["UND_ERR_ABORTED", "UND_ERR_DESTROYED"],
}

/** The port-level failure for whatever undici (or Node's TLS layer under it) failed with. */
export const toTransportFailure = (cause: unknown): TransportFailure.TransportFailure =>
  TransportFailure.fromCause(cause, undiciCodes)
