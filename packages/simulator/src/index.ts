/**
 * `@signering/simulator`: a faithful local Posten signering service (mutual-TLS API and signing portal) for offline
 * development and tests.
 *
 * @since 0.1.0
 */
import { EffectCopy } from "@signering/protocol"
import { Effect } from "effect"

EffectCopy.register("@signering/simulator", Effect)

export * as Pki from "./Pki.js"
export * as Simulator from "./Simulator.js"
