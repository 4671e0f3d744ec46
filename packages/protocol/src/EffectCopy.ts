/**
 * One `effect` in the application. Every `@signering/*` package declares `effect` as a peer dependency, so npm
 * installs a single copy shared with the application's own Effect code. When that fails (an `effect` outside the
 * peer range, a lockfile that nests copies), two copies are loaded and nothing works, with misleading errors far
 * from the cause (a valid keystore read as "Malformed", a service tag not found). Each package registers the copy
 * it was loaded with; a second, different copy fails at once, naming both packages.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

const KEY = Symbol.for("@signering/effect-copy")

interface Registry {
  readonly copy: object
  readonly first: string
}

/**
 * Thrown (at import time) when two `@signering/*` packages were loaded with different copies of `effect`.
 *
 * @example
 * ```ts
 * try { await import("@signering/client") } catch (e) { if (e instanceof Error && e.name === "EffectCopyError") console.error(e.message) }
 * ```
 */
export class EffectCopyError extends Error {
  override readonly name = "EffectCopyError"
}

/**
 * Registers the `effect` copy a package was loaded with; throws {@link EffectCopyError} when another copy is
 * already registered. `effectModule` is that package's own `import * as Effect from "effect/Effect"`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * EffectCopy.register("@signering/client", Effect)
 * ```
 */
export const register = (packageName: string, effectModule: object): void => {
  const global = globalThis as { [KEY]?: Registry }
  const seen = global[KEY]
  if (seen === undefined) {
    global[KEY] = { copy: effectModule, first: packageName }
    return
  }
  if (seen.copy !== effectModule) {
    throw new EffectCopyError(
      `Two copies of "effect" are loaded: ${seen.first} was loaded with one and ${packageName} with another. ` +
        `The @signering packages need the single effect (^4.1.0) of your application: install a version in that ` +
        `range and check with "npm ls effect" that only one copy remains.`,
    )
  }
}

register("@signering/protocol", Effect)
