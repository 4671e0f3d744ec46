/** Kept for modules that still import the runtime registry from here; it lives in `clientRuntime.ts`. */
export { type ClientRuntime, clientRuntime, registerClientRuntime } from "./clientRuntime.js"
