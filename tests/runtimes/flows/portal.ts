/**
 * A signer in the simulator's signing portal, driven with the runtime's own `fetch` over plain HTTP as a browser
 * would: the one-time redirect link sets a session cookie and leads to the ceremony page, whose Sign form answers
 * with a redirect to the job's exit URL (carrying `status_query_token`).
 */

const setCookies = (response: Response): Array<string> =>
  typeof response.headers.getSetCookie === "function"
    ? response.headers.getSetCookie()
    : [response.headers.get("set-cookie") ?? ""].filter((c) => c !== "")

const location = (response: Response, base: string): string => {
  const value = response.headers.get("location")
  if (response.status !== 302 || value === null)
    throw new Error(`expected a 302 with Location from ${new URL(base).pathname}, got ${response.status}`)
  return new URL(value, base).toString()
}

/** Signs through the portal from a signer's redirect URL; returns the exit URL the portal sent the signer to. */
export const signInPortal = async (redirectUrl: string): Promise<string> => {
  const redirect = await fetch(redirectUrl, { redirect: "manual" })
  await redirect.body?.cancel()
  const ceremonyUrl = location(redirect, redirectUrl)
  const cookie = setCookies(redirect)
    .map((c) => c.split(";")[0])
    .join("; ")
  const page = await fetch(ceremonyUrl, { headers: { cookie } })
  const html = await page.text()
  if (page.status !== 200 || !html.includes("/sign"))
    throw new Error(`the ceremony page offered no Sign form (${page.status})`)
  const signed = await fetch(`${ceremonyUrl}/sign`, { method: "POST", headers: { cookie }, redirect: "manual" })
  await signed.body?.cancel()
  return location(signed, ceremonyUrl)
}
