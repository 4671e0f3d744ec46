/**
 * Where the client talks to: the API root, the organization number the server's certificate must carry,
 * which kind of enterprise certificates the environment accepts, and its trust anchors.
 *
 * The built-in environments carry their trust anchors: the Buypass, Commfides and Digipost CA certificates shipped
 * in this package (see `TrustAnchors`), so `NodeTlsTransport.layer({ keystore, environment: Environment.difitest })`
 * needs nothing more. Expired anchors are left out by the transport at start-up; trust anchors given to the
 * transport explicitly take precedence.
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import * as TrustAnchors from "./TrustAnchors.js"

/**
 * The organization number of Posten Bring AS, which the real service's certificate carries.
 *
 * @example
 * ```ts
 * Environment.production.serverOrganizationNumber === Environment.POSTEN_ORGANIZATION_NUMBER // true
 * ```
 */
export const POSTEN_ORGANIZATION_NUMBER = "984661185"

/**
 * @example
 * ```ts
 * if (environment.name === "production") requireProductionCertificates()
 * ```
 */
export type Name = "production" | "difitest" | "difiqa" | "custom"

/**
 * An environment of the signing service.
 *
 * @example
 * ```ts
 * import { Environment } from "@signering/client"
 * Environment.difitest.apiRoot // "https://api.difitest.signering.posten.no/api"
 * ```
 */
export interface Environment {
  readonly name: Name
  /** The API root ("service root"), without a trailing slash, e.g. `https://api.signering.posten.no/api`. */
  readonly apiRoot: string
  /** The organization number the server's certificate must carry (checked by the transport). */
  readonly serverOrganizationNumber: string
  /** Which enterprise certificates this environment accepts: used for hints when TLS fails. */
  readonly certificates: "production" | "test"
  /**
   * Trust anchors (PEM) for the server's chain: the shipped set for the built-in environments (expired ones
   * included: a transport leaves them out at start-up with `TrustAnchors.current`), or a custom environment's own.
   */
  readonly trustAnchors?: ReadonlyArray<string> | undefined
}

/**
 * The production service: production enterprise certificates only.
 *
 * @example
 * ```ts
 * DirectClient.layer({ environment: Environment.production, sender: { organizationNumber: "123456785" } })
 * ```
 */
export const production: Environment = {
  name: "production",
  apiRoot: "https://api.signering.posten.no/api",
  serverOrganizationNumber: POSTEN_ORGANIZATION_NUMBER,
  certificates: "production",
  trustAnchors: TrustAnchors.builtInSets.production,
}

/**
 * The public test environment (the Java client's `STAGING`): test enterprise certificates only.
 *
 * @example
 * ```ts
 * DirectClient.layer({ environment: Environment.difitest, keystore })
 * ```
 */
export const difitest: Environment = {
  name: "difitest",
  apiRoot: "https://api.difitest.signering.posten.no/api",
  serverOrganizationNumber: POSTEN_ORGANIZATION_NUMBER,
  certificates: "test",
  trustAnchors: TrustAnchors.builtInSets.test,
}

/**
 * The QA environment known from the official clients: test enterprise certificates only.
 *
 * @example
 * ```ts
 * DirectClient.layer({ environment: Environment.difiqa, keystore })
 * ```
 */
export const difiqa: Environment = {
  name: "difiqa",
  apiRoot: "https://api.difiqa.signering.posten.no/api",
  serverOrganizationNumber: POSTEN_ORGANIZATION_NUMBER,
  certificates: "test",
  trustAnchors: TrustAnchors.builtInSets.test,
}

/**
 * Any other server, e.g. the local simulator. The API root is normalised (no trailing slash); it is
 * checked when the client is built (`DirectClient.make` fails with a `ValidationError` naming
 * `environment.apiRoot` when it is not an absolute http(s) URL).
 *
 * @example
 * ```ts
 * const sim = await Simulator.start()
 * const environment = Environment.custom({
 *   apiRoot: sim.url,
 *   serverOrganizationNumber: sim.pki.server.organizationNumber,
 *   trustAnchors: [sim.pki.caCertificatePem],
 * })
 * ```
 */
export const custom = (options: {
  readonly apiRoot: string | URL
  readonly serverOrganizationNumber?: string | undefined
  readonly trustAnchors?: ReadonlyArray<string> | undefined
  readonly certificates?: "production" | "test" | undefined
}): Environment => ({
  name: "custom",
  apiRoot: String(options.apiRoot).replace(/\/+$/, ""),
  serverOrganizationNumber: options.serverOrganizationNumber ?? POSTEN_ORGANIZATION_NUMBER,
  certificates: options.certificates ?? "test",
  ...(options.trustAnchors === undefined ? {} : { trustAnchors: options.trustAnchors }),
})

/**
 * A built-in environment by name (`production`, `difitest`, `difiqa`; `staging` is an alias of `difitest`
 * as in the Java client), or `undefined`.
 *
 * @example
 * ```ts
 * Environment.fromName(process.env.SIGNERING_ENVIRONMENT ?? "difitest")
 * ```
 */
export const fromName = (name: string): Environment | undefined => {
  switch (name.trim().toLowerCase()) {
    case "production":
    case "prod":
      return production
    case "difitest":
    case "staging":
      return difitest
    case "difiqa":
      return difiqa
    default:
      return undefined
  }
}

/**
 * The environment a transport was built for, as a service: `NodeTlsTransport.layer({ keystore, environment })`,
 * `FetchTransport.layer({ environment, ... })` and `FetchTransport.bun(...)` provide it next to `HttpClient`, so a
 * client built on them needs no `environment` of its own. A client given one too checks that both name the same
 * API root and server organization number.
 *
 * @example
 * ```ts
 * const environment = yield* Environment.Current // inside a layer built on a transport
 * ```
 */
export class Current extends Context.Service<Current, Environment>()("@signering/client/Environment/Current") {}

/**
 * Provides {@link Current}: what a transport adds to its `HttpClient` layer (or you, for a transport of your own).
 *
 * @example
 * ```ts
 * const Transport = Layer.merge(MyHttpClientLayer, Environment.layer(Environment.difitest))
 * const Client = DirectClient.layer({ keystore, sender }).pipe(Layer.provide(Transport))
 * ```
 */
export const layer = (environment: Environment): Layer.Layer<Current> => Layer.succeed(Current, environment)

/**
 * Whether a value is a whole environment (a name, an API root, a server organization number and the kind of
 * certificates): a transport provides {@link Current} only for one, not for a bare `{ serverOrganizationNumber }`.
 *
 * @example
 * ```ts
 * Environment.isEnvironment(Environment.difitest) // true
 * Environment.isEnvironment({ serverOrganizationNumber: "984661185" }) // false
 * ```
 */
export const isEnvironment = (value: unknown): value is Environment => {
  if (typeof value !== "object" || value === null) return false
  const candidate = value as Partial<Record<keyof Environment, unknown>>
  return (
    typeof candidate.name === "string" &&
    typeof candidate.apiRoot === "string" &&
    typeof candidate.serverOrganizationNumber === "string" &&
    (candidate.certificates === "production" || candidate.certificates === "test")
  )
}

/**
 * Whether two environments address the same service: the same API root (trailing slashes aside) and the same
 * server organization number. Trust anchors and names may differ (e.g. `difitest` and a custom copy of it).
 *
 * @example
 * ```ts
 * Environment.sameService(Environment.difitest, Environment.custom({ apiRoot: Environment.difitest.apiRoot })) // true
 * ```
 */
export const sameService = (a: Environment, b: Environment): boolean =>
  a.apiRoot.replace(/\/+$/, "") === b.apiRoot.replace(/\/+$/, "") &&
  a.serverOrganizationNumber === b.serverOrganizationNumber
