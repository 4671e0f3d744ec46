/**
 * One sender process of the two-process pacing benchmark: a `Polling.run` worker on the bench queue whose client is
 * paced through Redis (`RedisRateLimiter`), shared with the other process. Runs until killed.
 *
 * Input (environment): SIGNERING_API_ROOT, SIGNERING_CA, SIGNERING_PKCS12, SIGNERING_PKCS12_PASSPHRASE (files),
 * SIGNERING_SENDER, SIGNERING_QUEUE, SIGNERING_REDIS_URL, SIGNERING_REDIS_PREFIX.
 */
import { readFileSync } from "node:fs"
import { DirectClient, Environment, Polling } from "@signering/client"
import { NodeTlsTransport } from "@signering/node-tls"
import { Keystore } from "@signering/protocol"
import { RedisRateLimiter } from "@signering/redis-limiter"
import { Effect, Layer } from "effect"

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
  const rateLimiter = yield* RedisRateLimiter.make({
    url: env("SIGNERING_REDIS_URL"),
    keyPrefix: env("SIGNERING_REDIS_PREFIX"),
  })
  const Client = DirectClient.layer({
    environment,
    keystore,
    sender: { organizationNumber: env("SIGNERING_SENDER") },
    rateLimiter,
  }).pipe(Layer.provide(NodeTlsTransport.layer({ keystore, environment })))
  return yield* Polling.run({
    queue: env("SIGNERING_QUEUE"),
    backoff: { base: "1 second", cap: "5 seconds" },
    maxJitter: "50 millis",
    handler: () => Effect.void,
  }).pipe(Effect.provide(Client))
})

Effect.runPromise(Effect.scoped(main)).catch((error) => {
  console.log(`FAILURE ${JSON.stringify(String(error))}`)
  process.exit(1)
})
