/**
 * The mutual-TLS API listener: shared middleware, whoami, then the routes of each flow and the archive.
 */
import { Hono } from "hono"
import type { Engine } from "../engine.js"
import { directRoutes } from "./direct.js"
import { portalRoutes } from "./portal.js"
import { type Env, installCommon } from "./shared.js"

export const makeApi = (engine: Engine) => {
  const app = new Hono<Env>()
  const route = installCommon(app, engine)

  // PROTOCOL.md §1: the diagnostic "who am I" call (authorization of the URL organization already passed).
  app.get(
    "/api/:org",
    route("whoami", (c) => {
      const certOrg = c.get("identity").organizationNumber!
      const urlOrg = c.req.param("org")
      return c.text(urlOrg === certOrg ? `You are ${certOrg}` : `You are ${certOrg}, operating on behalf of ${urlOrg}`)
    }),
  )
  directRoutes(app, engine, route)
  portalRoutes(app, engine, route)

  app.notFound((c) => c.text("Not Found", 404))
  app.onError((error, c) => {
    c.get("flags")?.push("internal-error")
    return c.text(`Internal Server Error: ${error instanceof Error ? error.name : "unknown"}`, 500)
  })
  return app
}
