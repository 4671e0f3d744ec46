/**
 * The `signering` executable.
 *
 * @since 0.1.0
 */
import { nodeIo, run } from "./Cli.js"

const code = await run(process.argv.slice(2), nodeIo())
// Open handles (a keep-alive socket, a signal listener) must not keep a finished command alive.
process.exit(code)
