import { describe, expect, it } from "@effect/vitest"
import { DecodeError, ValidationError } from "@signering/protocol"
import { Duration } from "effect"
import {
  BrokerNotAuthorized,
  DocumentsNotDeletable,
  InvalidStatusQueryToken,
  isTransient,
  RateLimited,
  ServerIdentityError,
  TooEagerPolling,
  TransportError,
  UnexpectedResponse,
} from "../src/ClientError.js"

const ctx = { operation: "getStatus", method: "GET", url: "https://h.example/s?status_query_token=***" } as const

describe("ClientError", () => {
  it("messages name the operation, the masked URL, the status and the server's code", () => {
    const e = new InvalidStatusQueryToken({
      ...ctx,
      status: 403,
      errorCode: "INVALID_STATUS_QUERY_TOKEN",
      errorMessage: "no",
      errorType: "CLIENT",
    })
    expect(e.message).toBe(
      "The status query token is not valid for this job (getStatus: GET https://h.example/s?status_query_token=*** → 403) [INVALID_STATUS_QUERY_TOKEN: no]",
    )
    expect(e._tag).toBe("InvalidStatusQueryToken")
    expect(e).toBeInstanceOf(Error)
  })

  it("every request error carries its context; the reason-specific texts differ", () => {
    const broker = new BrokerNotAuthorized({ ...ctx, reason: "BrokerNotAuthorized" })
    const access = new BrokerNotAuthorized({ ...ctx, reason: "NotAuthorized" })
    expect(broker.message).not.toBe(access.message)
    const advertised = new DocumentsNotDeletable({ ...ctx, operation: "deleteDocuments", reason: "NotAdvertised" })
    expect(advertised.message).toContain("24 h")
    const eager = new TooEagerPolling({ ...ctx, status: 429, nextPermittedPollTime: new Date("2030-01-01T00:00:00Z") })
    expect(eager.message).toContain("2030-01-01T00:00:00.000Z")
    const limited = new RateLimited({
      ...ctx,
      status: 429,
      retryAfter: Duration.seconds(30),
      blockedUntil: new Date("2030-01-01T00:00:30Z"),
    })
    expect(limited.message).toContain("blocked until 2030-01-01T00:00:30.000Z")
  })

  it("ServerIdentityError has a code Node's TLS layer and generic handlers can read", () => {
    const e = new ServerIdentityError({
      reason: "OrganizationMismatch",
      expectedOrganizationNumber: "984661185",
      actualOrganizationNumber: "123456785",
      subject: "CN=x",
    })
    expect(e.code).toBe("ERR_SIGNERING_SERVER_IDENTITY")
    expect(e.message).toContain("123456785")
    expect(e.message).toContain("984661185")
  })

  it("isTransient: connection failures and 5xx, never 429s, tokens, validation or decoding", () => {
    const transport = (reason: TransportError["reason"]) => new TransportError({ ...ctx, reason, hint: "h" })
    expect(isTransient(transport("Connect"))).toBe(true)
    expect(isTransient(transport("ClosedEarly"))).toBe(true)
    expect(isTransient(transport("Timeout"))).toBe(true)
    expect(isTransient(transport("TlsHandshake"))).toBe(false)
    expect(isTransient(transport("ServerIdentity"))).toBe(false)
    expect(isTransient(new UnexpectedResponse({ ...ctx, status: 503, reason: "Status" }))).toBe(true)
    expect(isTransient(new UnexpectedResponse({ ...ctx, status: 404, reason: "Status" }))).toBe(false)
    expect(isTransient(new TooEagerPolling({ ...ctx, status: 429, nextPermittedPollTime: new Date() }))).toBe(false)
    expect(isTransient(new InvalidStatusQueryToken({ ...ctx, status: 403 }))).toBe(false)
    expect(isTransient(new ValidationError({ issues: [] }))).toBe(false)
    expect(isTransient(new DecodeError({ reason: "Malformed", expected: "x", detail: "y" }))).toBe(false)
    expect(isTransient(null)).toBe(false)
  })
})
