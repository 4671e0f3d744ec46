/**
 * The three forms every fallible pure function of the package is offered in: the `Result` itself (plain data, for
 * code without Effect), an `…Effect` twin and an `…OrThrow` twin. Each public module names and documents its own
 * twins; this is the one place that says how a twin relates to its `Result`.
 */
import { Effect, type Result } from "effect"

/**
 * `f` as an Effect failing with `f`'s error. Suspended, so the work runs each time the Effect runs rather than
 * once when it is built.
 */
export const effectOf =
  <Args extends ReadonlyArray<unknown>, A, E>(f: (...args: Args) => Result.Result<A, E>) =>
  (...args: Args): Effect.Effect<A, E> =>
    Effect.suspend(() => Effect.fromResult(f(...args)))

/** `f` for code that prefers exceptions: returns the success or throws the failure as it is. */
export const orThrow =
  <Args extends ReadonlyArray<unknown>, A, E>(f: (...args: Args) => Result.Result<A, E>) =>
  (...args: Args): A => {
    const result = f(...args)
    if (result._tag === "Failure") throw result.failure
    return result.success
  }
