/**
 * `@signering/simulator`: a faithful local Posten signering service (mutual-TLS API for the direct and portal flows
 * and the archive, plus the signer pages) for offline development and tests.
 *
 * @since 0.1.0
 */
export * as HeadlessSigner from "./HeadlessSigner.js"
export * as Pki from "./Pki.js"
export * as Simulator from "./Simulator.js"
