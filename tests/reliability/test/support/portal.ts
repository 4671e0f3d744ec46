/**
 * A signer's browser on the simulator's signing pages: the simulator's own headless signer, over this suite's
 * connection pool.
 */
import { HeadlessSigner } from "@signering/simulator"
import { type Agent, fetch } from "undici"

export type Action = "sign" | "reject" | "error"

const buttons: Record<Action, HeadlessSigner.CeremonyAction> = {
  sign: "Sign",
  reject: "Reject",
  error: "Simulate an unexpected error",
}

/**
 * Opens the redirect URL, follows it to the signing page, submits the chosen form and returns the exit URL the
 * portal redirects to (the sender's completion, rejection or error URL with `status_query_token`).
 */
export const completeCeremony = (dispatcher: Agent, redirectUrl: string, action: Action): Promise<string> =>
  HeadlessSigner.ceremony(redirectUrl, buttons[action], {
    fetch: (input, init) => fetch(input, { ...(init as object), dispatcher }) as unknown as Promise<Response>,
  })
