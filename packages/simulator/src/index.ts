/**
 * `@signering/simulator`: a faithful local Posten signering service (mutual-TLS API and signing portal) for offline
 * development and tests.
 *
 * @since 0.1.0
 */
export * as Pki from "./Pki.js"
export * as Simulator from "./Simulator.js"
