/**
 * fetch-based transport for `@signering/client` (Node, Deno, Bun, edge runtimes).
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as FetchTransport from "./FetchTransport.js"
