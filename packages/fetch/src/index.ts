/**
 * fetch-based transport for `@signering/client` (Node, Deno, Bun, edge runtimes).
 *
 * @since 0.1.0
 */
import { EffectCopy } from "@signering/protocol"
import { Effect } from "effect"

EffectCopy.register("@signering/fetch", Effect)

/** @since 0.1.0 */
export * as FetchTransport from "./FetchTransport.js"
