/**
 * The operations every flow shares, written once over the pipeline: confirm, delete, downloads, whoami, the
 * sender and bundle handling of `create`, and the constructors' plumbing (options check, layer, layerConfig).
 */
import type { DirectJob } from "@signering/protocol"
import { DocumentBundle, Endpoint, type Keystore, ValidationError } from "@signering/protocol"
import { Config, type Context, Effect, Layer, Option, type Result } from "effect"
import type { HttpClient } from "effect/http"
import { type ClientError, DocumentsNotDeletable } from "../ClientError.js"
import * as ClientOptions from "../ClientOptions.js"
import * as Environment from "../Environment.js"
import {
  type Download,
  execute,
  executeCollect,
  executeDownload,
  invalid,
  makeSettings,
  type Settings,
  urlOf,
} from "./pipeline.js"
import { preflight, type StartupError } from "./preflight.js"

const ORG = /^[0-9]{9}$/

const describe = (environment: Environment.Environment) =>
  `${environment.name} (apiRoot ${environment.apiRoot}, server organization ${environment.serverOrganizationNumber})`

/**
 * The environment the client talks to: the one in its options, else the transport's (`Environment.Current`). Both
 * given and addressing different services (API root or server organization number) is a start-up error naming
 * both; neither given is a `ValidationError` naming `environment`.
 */
export const resolveEnvironment = (
  options: ClientOptions.Options,
): Effect.Effect<Environment.Environment, ValidationError> =>
  Effect.flatMap(Effect.serviceOption(Environment.Current), (fromTransport) => {
    const given = options.environment
    if (Option.isNone(fromTransport)) {
      return given === undefined
        ? Effect.fail(
            invalid(
              "environment",
              "required",
              "no environment given, and the transport provides none: pass `environment` to the client or build the transport with one (e.g. NodeTlsTransport.layer({ keystore, environment }))",
            ),
          )
        : Effect.succeed(given)
    }
    if (given === undefined || given === null) return Effect.succeed(fromTransport.value)
    // A malformed environment is reported by `validate`, naming its field.
    if (typeof given.apiRoot !== "string" || Environment.sameService(given, fromTransport.value)) {
      return Effect.succeed(given)
    }
    return Effect.fail(
      invalid(
        "environment",
        "mismatch",
        `the client's environment ${describe(given)} differs from the transport's ${describe(fromTransport.value)}: give the environment once, to the transport`,
      ),
    )
  })

/**
 * Resolves the environment (see `resolveEnvironment`), checks options and the certificate (expiry, environment:
 * see `preflight`), then builds the pipeline settings; `settings.environment` is the environment in use.
 */
export const settingsFor = (
  name: string,
  options: ClientOptions.Options,
): Effect.Effect<Settings, StartupError, HttpClient.HttpClient> =>
  Effect.flatMap(
    resolveEnvironment(options),
    (environment): Effect.Effect<Settings, StartupError, HttpClient.HttpClient> => {
      const resolved = { ...options, environment }
      const problem = ClientOptions.validate(resolved)
      return problem === undefined
        ? Effect.andThen(
            preflight({ environment, keystore: options.keystore, sender: options.sender }),
            makeSettings(name, resolved),
          )
        : Effect.fail(problem)
    },
  )

/** The sender given, else the client's default; a `ValidationError` when neither is a 9-digit organization. */
export const resolveSender = (
  options: ClientOptions.Options,
  sender: DirectJob.Sender | string | undefined,
): Effect.Effect<DirectJob.Sender, ValidationError> => {
  const resolved = typeof sender === "string" ? { organizationNumber: sender } : (sender ?? options.sender)
  if (resolved === undefined || resolved === null) {
    return Effect.fail(invalid("sender", "required", "no sender given and no default sender configured"))
  }
  if (typeof resolved !== "object" || !ORG.test(String(resolved.organizationNumber))) {
    return Effect.fail(invalid("sender.organizationNumber", "pattern", "must be 9 digits"))
  }
  return Effect.succeed(resolved)
}

/** The keystore for signing a bundle, or the error saying how to do without. */
export const requireKeystore = (options: ClientOptions.Options): Effect.Effect<Keystore.Keystore, ValidationError> =>
  options.keystore === undefined
    ? Effect.fail(
        invalid("keystore", "required", "a keystore is needed to sign the document bundle (or pass options.bundle)"),
      )
    : Effect.succeed(options.keystore)

/** A prebuilt bundle's bytes, when the caller gave one. */
export const givenBundle = (given: Uint8Array | { readonly bytes: Uint8Array } | undefined): Uint8Array | undefined =>
  given === undefined ? undefined : given instanceof Uint8Array ? given : given.bytes

/** Bundle options, with the service's clock as `signingTime` when `useServerClock` is on and an offset is known. */
export const bundleOptions = (
  options: ClientOptions.Options,
  settings: Settings,
): Effect.Effect<DocumentBundle.Options | undefined> =>
  Effect.clockWith((clock) => clock.currentTimeMillis).pipe(
    Effect.map((now) => {
      const offset = settings.clock.offsetMs
      if (options.useServerClock !== true || offset === undefined || options.bundle?.signingTime !== undefined) {
        return options.bundle
      }
      return { ...options.bundle, signingTime: new Date(now + offset) }
    }),
  )

/** What `create` needs from a flow: its validated job's tag, how to validate an input, and its create endpoint. */
export interface CreateFlow<Job extends DocumentBundle.Source & { readonly sender: DirectJob.Sender }, Input, Created> {
  readonly jobTag: string
  readonly make: (
    input: Input & { readonly sender: DirectJob.Sender },
    validation: ClientOptions.Options["validation"],
  ) => Result.Result<Job, ValidationError>
  readonly endpoint: (apiRoot: string, job: Job, bundle: Uint8Array) => Endpoint.Endpoint<Created>
}

/**
 * Creates a job of any flow: validates the input (the default sender when it names none), builds and signs the
 * bundle unless one is given, and posts both. Never retried once the body may have reached the service.
 */
export const create = <Job extends DocumentBundle.Source & { readonly sender: DirectJob.Sender }, Input, Created>(
  settings: Settings,
  options: ClientOptions.Options,
  flow: CreateFlow<Job, Input, Created>,
  input: unknown,
  given: { readonly bundle?: Uint8Array | { readonly bytes: Uint8Array } | undefined } | undefined,
): Effect.Effect<Created & { readonly sender: DirectJob.Sender }, ClientError> => {
  if (typeof input !== "object" || input === null) {
    return Effect.fail(invalid("job", "required", "must be a job input object"))
  }
  // A validated job with a prebuilt bundle (the common case of a sender that builds bundles itself) takes no
  // generator steps: this path is what every such create pays.
  const send = (job: Job, zip: Uint8Array) =>
    Effect.map(
      execute(settings, flow.endpoint(settings.apiRoot, job, zip), {
        annotations: { sender: job.sender.organizationNumber, bundleBytes: zip.length },
      }),
      (created) => ({ ...created, sender: job.sender }),
    )
  const zip = givenBundle(given?.bundle)
  if ((input as { _tag?: unknown })._tag === flow.jobTag && zip !== undefined) return send(input as Job, zip)
  return Effect.gen(function* () {
    let job: Job
    if ((input as { _tag?: unknown })._tag === flow.jobTag) {
      job = input as Job
    } else {
      const withSender = input as Input & { readonly sender?: DirectJob.Sender | undefined }
      const sender = yield* resolveSender(options, withSender.sender)
      job = yield* Effect.fromResult(flow.make({ ...withSender, sender }, options.validation))
    }
    let bytes = zip
    if (bytes === undefined) {
      const keystore = yield* requireKeystore(options)
      const bundle = yield* bundleOptions(options, settings)
      bytes = (yield* DocumentBundle.make(job, keystore, bundle)).bytes
    }
    return yield* send(job, bytes)
  })
}

/** Confirms a change (POST to its confirmation URL); nothing is sent when the status has none. */
export const confirm = (settings: Settings, status: unknown): Effect.Effect<void, ClientError> => {
  const target = urlOf(status, "confirmationUrl", "confirmationUrl")
  if ("missing" in target) return Effect.logDebug("signering confirm skipped: no confirmation URL")
  if ("error" in target) {
    // A status object without any confirmation URL field is "nothing to confirm", as before.
    if (typeof status === "object" && status !== null && !("confirmationUrl" in status)) {
      return Effect.logDebug("signering confirm skipped: no confirmation URL")
    }
    return Effect.fail(target.error)
  }
  return execute(settings, Endpoint.confirm(target.url))
}

/** Deletes a job's documents; `DocumentsNotDeletable` (nothing sent) when there is no URL. */
export const deleteDocuments = (settings: Settings, target: unknown): Effect.Effect<void, ClientError> => {
  const resolved = urlOf(target, "deleteDocumentsUrl", "deleteDocumentsUrl")
  if ("missing" in resolved) {
    return Effect.fail(
      new DocumentsNotDeletable({ operation: "deleteDocuments", method: "DELETE", url: "", reason: "NotAdvertised" }),
    )
  }
  if ("error" in resolved) return Effect.fail(resolved.error)
  return execute(settings, Endpoint.deleteDocuments(resolved.url))
}

const downloadUrl = (operation: "getXades" | "getPades", target: unknown) => {
  if (typeof target === "object" && target !== null && !(target instanceof URL)) {
    const field = "url" in target ? "url" : operation === "getPades" ? "padesUrl" : "xadesUrl"
    return urlOf(target, field, field)
  }
  return urlOf(target, "url", "url")
}

/** Streams a signed document from a URL the service handed out. */
export const download = (
  settings: Settings,
  operation: "getXades" | "getPades",
  target: unknown,
): Effect.Effect<Download, ClientError> => {
  const resolved = downloadUrl(operation, target)
  if ("missing" in resolved) return Effect.fail(invalid("url", "required", "the target has no download URL"))
  if ("error" in resolved) return Effect.fail(resolved.error)
  return executeDownload(settings, Endpoint.download(operation, resolved.url))
}

/** Collects a signed document, bounded by `limits.downloadBytes`. */
export const collect = (
  settings: Settings,
  operation: "getXades" | "getPades",
  target: unknown,
): Effect.Effect<Uint8Array, ClientError> => {
  const resolved = downloadUrl(operation, target)
  if ("missing" in resolved) return Effect.fail(invalid("url", "required", "the target has no download URL"))
  if ("error" in resolved) return Effect.fail(resolved.error)
  return executeCollect(settings, Endpoint.download(operation, resolved.url))
}

/** `GET <root>/<org>`: who the service takes this client for. */
export const whoami = (
  settings: Settings,
  options: ClientOptions.Options,
  organization?: string,
): Effect.Effect<Endpoint.WhoAmI, ClientError> =>
  resolveSender(options, organization).pipe(
    Effect.flatMap((sender) => execute(settings, Endpoint.whoami(settings.apiRoot, sender.organizationNumber))),
  )

/**
 * `layerConfig` for any client: the options from `Config`, with the caller's overrides. With `SIGNERING_ENVIRONMENT`
 * unset and no `environment` override, the transport's environment (when it provides one) wins over the config's
 * default (`difitest`), so the environment is still given once.
 */
export const layerConfigFor =
  <I, S>(
    tag: Context.Key<I, S>,
    make: (options: ClientOptions.Options) => Effect.Effect<S, StartupError, HttpClient.HttpClient>,
  ) =>
  (
    overrides?: Partial<ClientOptions.Options>,
  ): Layer.Layer<I, StartupError | Config.ConfigError, HttpClient.HttpClient> =>
    Layer.effect(
      tag,
      Effect.gen(function* () {
        const fromConfig = yield* ClientOptions.config
        const named = yield* Config.option(Config.String(ClientOptions.configNames.environment))
        const fromTransport = yield* Effect.serviceOption(Environment.Current)
        const environment =
          Option.isNone(named) && Option.isSome(fromTransport) ? fromTransport.value : fromConfig.environment
        return yield* make({ ...fromConfig, environment, ...overrides } as ClientOptions.Options)
      }),
    )

export { ValidationError }
