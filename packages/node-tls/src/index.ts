/**
 * Node.js transport for `@signering/client`: undici with mutual TLS and the
 * signering server identity check.
 *
 * @since 0.1.0
 */
import { EffectCopy } from "@signering/protocol"
import { Effect } from "effect"

EffectCopy.register("@signering/node-tls", Effect)

/** @since 0.1.0 */
export * as BundleDump from "./BundleDump.js"
/** @since 0.1.0 */
export * as NodeTlsTransport from "./NodeTlsTransport.js"
/** @since 0.1.0 */
export * as ServerIdentity from "./ServerIdentity.js"
