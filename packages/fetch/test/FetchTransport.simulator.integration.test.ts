// undici fetch with a mutual-TLS Agent against the real simulator, the key and
// chain taken from a Keystore (the simulator's legacy RC2-40 PKCS#12 included).
import type { PeerCertificate } from "node:tls"
import { describe, expect, it } from "@effect/vitest"
import { Keystore } from "@signering/protocol"
import { Simulator } from "@signering/simulator"
import { Effect, Layer, Redacted } from "effect"
import { HttpClient } from "effect/http"
import { Agent, fetch } from "undici"
import { afterAll, beforeAll } from "vitest"
import { FetchTransport } from "../src/index.js"

let simulator: Simulator.Instance
beforeAll(async () => {
  simulator = await Simulator.start()
})
afterAll(() => simulator.close())

const organizationOf = (certificate: PeerCertificate) =>
  /^NTRNO-(\d{9})$/.exec(String(certificate.subject?.organizationIdentifier ?? ""))?.[1] ??
  /^(\d{9})$/.exec(String(certificate.subject?.serialNumber ?? ""))?.[1]

const transport = (keystore: Keystore.Keystore) =>
  Layer.unwrap(
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(
          () =>
            new Agent({
              connect: {
                key: Redacted.value(keystore.privateKeyPem),
                cert: keystore.certificateChainPem,
                ca: [simulator.pki.caCertificatePem],
                rejectUnauthorized: true,
                minVersion: "TLSv1.2",
                checkServerIdentity: (_host, certificate) =>
                  organizationOf(certificate) === "984661185" ? undefined : new Error("wrong server organization"),
              },
            }),
        ),
        (agent) => Effect.promise(() => agent.destroy()),
      ),
      (agent) => FetchTransport.layer({ fetch, requestInit: { dispatcher: agent } }),
    ),
  )

describe("FetchTransport against the simulator", () => {
  it.live("authenticates every sender over undici fetch", () =>
    Effect.gen(function* () {
      for (const sender of simulator.pki.senders) {
        const keystore = yield* Keystore.fromPkcs12Effect(sender.pkcs12, sender.pkcs12Passphrase)
        const text = yield* Effect.flatMap(HttpClient.HttpClient, (client) =>
          client.get(`${simulator.url}/${sender.organizationNumber}`),
        ).pipe(
          Effect.flatMap((response) => response.text),
          Effect.provide(transport(keystore)),
        )
        expect(text).toBe(`You are ${sender.organizationNumber}`)
      }
    }),
  )
})
