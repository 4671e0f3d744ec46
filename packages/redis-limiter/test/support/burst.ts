/**
 * One sender process: one `whoami` to open its connection, then `SIGNERING_BURST` concurrent `whoami` calls to the simulator over mutual TLS, paced by the
 * Redis limiter (`SIGNERING_LIMITER=redis`) or by the in-process one alone (`local`). Prints one `RESULT {json}` line.
 *
 * Input (environment): SIGNERING_API_ROOT, SIGNERING_CA, SIGNERING_PKCS12, SIGNERING_PKCS12_PASSPHRASE (files),
 * SIGNERING_SENDER, SIGNERING_REDIS_URL, SIGNERING_REDIS_PREFIX, SIGNERING_MARGIN_MS, SIGNERING_BURST, SIGNERING_LIMITER.
 */
import { readFileSync } from "node:fs"
import { DirectClient, Environment } from "@signering/client"
import { NodeTlsTransport } from "@signering/node-tls"
import { Keystore } from "@signering/protocol"
import { Effect, Layer } from "effect"
import { RedisRateLimiter } from "../../src/index.js"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined || value === "") throw new Error(`${name} is not set`)
  return value
}

const main = Effect.gen(function* () {
  const keystore = yield* Keystore.fromPkcs12Effect(
    readFileSync(env("SIGNERING_PKCS12")),
    readFileSync(env("SIGNERING_PKCS12_PASSPHRASE"), "utf8").trim(),
  )
  const environment = Environment.custom({
    apiRoot: env("SIGNERING_API_ROOT"),
    trustAnchors: [readFileSync(env("SIGNERING_CA"), "utf8")],
  })
  const rateLimiter =
    env("SIGNERING_LIMITER") === "redis"
      ? yield* RedisRateLimiter.make({
          url: env("SIGNERING_REDIS_URL"),
          keyPrefix: env("SIGNERING_REDIS_PREFIX"),
          windowMargin: Number(env("SIGNERING_MARGIN_MS")),
        })
      : undefined
  const options = {
    environment,
    keystore,
    sender: { organizationNumber: env("SIGNERING_SENDER") },
    ...(rateLimiter === undefined ? {} : { rateLimiter }),
  }
  const Client = DirectClient.layer(options).pipe(Layer.provide(NodeTlsTransport.layer({ keystore, environment })))
  return yield* burst.pipe(Effect.provide(Client))
})

const burst = Effect.gen(function* () {
  const client = yield* DirectClient.DirectClient
  // A running application: its connection to the service is up before the burst (a cold TLS handshake on a busy
  // machine can delay a request by more than the limiter's margin; see the README).
  yield* client.whoami()
  const started = performance.now()
  const outcomes = yield* Effect.forEach(
    Array.from({ length: Number(env("SIGNERING_BURST")) }, (_, i) => i),
    () =>
      client.whoami().pipe(
        Effect.as("ok"),
        Effect.catchCause(() => Effect.succeed("failed")),
      ),
    { concurrency: "unbounded" },
  )
  return {
    ok: outcomes.filter((o) => o === "ok").length,
    failed: outcomes.filter((o) => o !== "ok").length,
    ms: Math.round(performance.now() - started),
  }
})

Effect.runPromise(Effect.scoped(main)).then(
  (result) => {
    console.log(`RESULT ${JSON.stringify(result)}`)
    process.exit(0)
  },
  (error) => {
    console.log(`FAILURE ${JSON.stringify(String(error))}`)
    process.exit(1)
  },
)
