/**
 * `@signering/cli`: the `signering` command for operators of the Posten signering service.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Cli from "./Cli.js"
