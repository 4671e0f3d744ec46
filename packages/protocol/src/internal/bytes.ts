/**
 * A Uint8Array, also one from another realm (a worker, `vm`, an iframe), where `instanceof` fails.
 */
export const isBytes = (u: unknown): u is Uint8Array =>
  u instanceof Uint8Array || (ArrayBuffer.isView(u) && Object.prototype.toString.call(u) === "[object Uint8Array]")
