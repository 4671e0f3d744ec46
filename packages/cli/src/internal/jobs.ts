/**
 * The commands that talk to the service: whoami, create, status, poll, download, confirm. Each resolves the
 * connection, runs one Effect program with the client over the Node transport, and prints the result.
 */
import { createWriteStream } from "node:fs"
import { access, readFile, rename, rm } from "node:fs/promises"
import { basename, extname } from "node:path"
import { DirectClient } from "@signering/client"
import type { DirectResponse } from "@signering/protocol"
import { Effect, Layer, Redacted, Stream } from "effect"
import { type Connection, type ConnectionFlags, connect, runtimeLayer } from "./connection.js"
import { CliFailure, ExitCode, formatBytes, type Io, print, progressLine, toJson } from "./output.js"

const withClient = <A, E>(f: (client: DirectClient.Service) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    return yield* f(yield* DirectClient.DirectClient)
  })

const run = <A, E>(
  io: Io,
  flags: ConnectionFlags,
  effect: Effect.Effect<A, E, DirectClient.DirectClient>,
  connection: Connection,
): Promise<A> => {
  const controller = new AbortController()
  void io.interrupted.then(() => controller.abort())
  return Effect.runPromise(
    effect.pipe(Effect.provide(connection.client), Effect.provide(runtimeLayer(io, flags.verbose))) as Effect.Effect<
      A,
      unknown
    >,
    { signal: controller.signal },
  ).catch((error: unknown) => {
    // An interrupted run rejects with a plain "All fibers interrupted" error: name it for the exit code.
    if (controller.signal.aborted) throw new CliFailure(ExitCode.Interrupted, "interrupted")
    throw error
  })
}

// A personal identification number is personal data: shown only as "a PIN", with its position.
const signerLabel = (signer: string | undefined, index: number) =>
  signer === undefined
    ? `signer ${index + 1}`
    : /^\d{11}$/.test(signer)
      ? `signer ${index + 1} (personal identification number)`
      : `signer ${index + 1} (${signer})`

const maskedSigner = (signer: string | undefined) =>
  signer === undefined ? null : /^\d{11}$/.test(signer) ? "<personal identification number>" : signer

/** What `signering whoami` prints. */
export interface WhoAmI {
  readonly text: string
  readonly organizationNumber: string
  readonly certificateOrganization: string | null
  readonly onBehalfOf: string | null
}

export const whoami = async (io: Io, flags: ConnectionFlags & { json?: boolean }): Promise<void> => {
  const connection = await connect(io, flags)
  const organizationNumber = connection.sender.organizationNumber
  const answer = await run(
    io,
    flags,
    withClient((client) => client.whoami(organizationNumber)),
    connection,
  )
  const result: WhoAmI = {
    text: answer.text,
    organizationNumber,
    certificateOrganization: answer.certificateOrganization ?? null,
    onBehalfOf: answer.onBehalfOf ?? null,
  }
  print(io, flags.json === true, result, () => [result.text])
}

export interface CreateFlags extends ConnectionFlags {
  readonly title: string
  readonly pdf: ReadonlyArray<string>
  readonly signer?: ReadonlyArray<string> | undefined
  readonly signerId?: ReadonlyArray<string> | undefined
  readonly description?: string | undefined
  readonly reference?: string | undefined
  readonly exitUrl?: string | undefined
  readonly completionUrl?: string | undefined
  readonly rejectionUrl?: string | undefined
  readonly errorUrl?: string | undefined
  readonly polling?: boolean | undefined
  readonly allowTestPins?: boolean | undefined
  readonly json?: boolean | undefined
}

export const create = async (io: Io, flags: CreateFlags): Promise<void> => {
  const exit = (specific: string | undefined, name: string) => {
    const url = specific ?? flags.exitUrl
    if (url === undefined) {
      throw new CliFailure(ExitCode.Usage, `--${name} (or --exit-url for all three exit URLs) is required`)
    }
    return url
  }
  const exitUrls = {
    completionUrl: exit(flags.completionUrl, "completion-url"),
    rejectionUrl: exit(flags.rejectionUrl, "rejection-url"),
    errorUrl: exit(flags.errorUrl, "error-url"),
  }
  const signers = [
    ...(flags.signer ?? []).map((pin) => ({ personalIdentificationNumber: Redacted.make(pin) })),
    ...(flags.signerId ?? []).map((customIdentifier) => ({ customIdentifier })),
  ]
  if (signers.length === 0) throw new CliFailure(ExitCode.Usage, "at least one --signer or --signer-id is required")
  const documents = await Promise.all(
    flags.pdf.map(async (file) => {
      try {
        return { title: basename(file, extname(file)), bytes: new Uint8Array(await readFile(file)) }
      } catch (cause) {
        throw new CliFailure(
          ExitCode.Usage,
          `--pdf ${file} cannot be read (${(cause as NodeJS.ErrnoException).code ?? "error"})`,
        )
      }
    }),
  )
  const connection = await connect(io, {
    ...flags,
  })
  const input: DirectClient.JobInput = {
    title: flags.title,
    ...(flags.description === undefined ? {} : { description: flags.description }),
    ...(flags.reference === undefined ? {} : { reference: flags.reference }),
    documents,
    signers,
    exitUrls,
    statusRetrievalMethod: flags.polling === true ? "POLLING" : "WAIT_FOR_CALLBACK",
  }
  const connectionWithValidation: Connection =
    flags.allowTestPins === true
      ? {
          ...connection,
          client: DirectClient.layer({
            ...connection.options,
            validation: { allowInvalidPersonalIdentificationNumberChecksum: true },
          }).pipe(Layer.provide(connection.transport)),
        }
      : connection
  const created = await run(
    io,
    flags,
    withClient((client) => client.create(input)),
    connectionWithValidation,
  )
  const result = {
    signatureJobId: created.signatureJobId,
    reference: created.reference ?? null,
    statusUrl: created.statusUrl ?? null,
    statusRetrievalMethod: input.statusRetrievalMethod,
    sender: created.sender,
    signers: created.signers.map((signer) => ({
      signer: maskedSigner(signer.signer.value),
      href: signer.href,
      redirectUrl: signer.redirectUrl,
    })),
  }
  print(io, flags.json === true, result, () => [
    `Created signature job ${created.signatureJobId}${created.reference === undefined ? "" : ` (reference ${created.reference})`}`,
    ...(created.statusUrl === undefined ? [] : [`  status URL: ${created.statusUrl}`]),
    ...created.signers.map(
      (signer, i) => `  ${signerLabel(signer.signer.value, i)} signs at (one-time link): ${signer.redirectUrl}`,
    ),
  ])
}

const describeStatus = (status: DirectResponse.JobStatusResponse) => ({
  signatureJobId: status.signatureJobId,
  reference: status.reference ?? null,
  status: status.status,
  signers: status.signers.map((s) => ({
    signer: maskedSigner(s.signer),
    status: s.status,
    since: s.since,
    xadesUrl: s.xadesUrl ?? null,
  })),
  padesUrl: status.padesUrl ?? null,
  confirmationUrl: status.confirmationUrl ?? null,
  deleteDocumentsUrl: status.deleteDocumentsUrl ?? null,
})

const statusLines = (status: DirectResponse.JobStatusResponse): Array<string> => [
  `Signature job ${status.signatureJobId}${status.reference === undefined ? "" : ` (reference ${status.reference})`}: ${status.status}`,
  ...status.signers.map(
    (s, i) =>
      `  ${signerLabel(s.signer, i)}: ${s.status} since ${s.since.toISOString()}${s.xadesUrl ? `, XAdES ${s.xadesUrl}` : ""}`,
  ),
  ...(status.padesUrl === undefined ? [] : [`  PAdES: ${status.padesUrl}`]),
  ...(status.confirmationUrl === undefined ? [] : [`  confirm: ${status.confirmationUrl}`]),
  ...(status.deleteDocumentsUrl === undefined ? [] : [`  delete documents: ${status.deleteDocumentsUrl}`]),
]

/** The status query token: given as is, or taken from the exit URL the signer's browser came back to. */
export const statusQueryToken = (value: string): string => {
  if (/^https?:\/\//i.test(value)) {
    const token = new URL(value).searchParams.get("status_query_token")
    if (token === null) throw new CliFailure(ExitCode.Usage, "the exit URL given as --token has no status_query_token")
    return token
  }
  return value
}

export const status = async (
  io: Io,
  statusUrl: string,
  flags: ConnectionFlags & { token?: string | undefined; json?: boolean | undefined },
): Promise<void> => {
  const given = flags.token ?? io.env["SIGNERING_STATUS_QUERY_TOKEN"]
  if (given === undefined) {
    throw new CliFailure(
      ExitCode.Usage,
      "the status query token is required: --token (the token or the exit URL) or SIGNERING_STATUS_QUERY_TOKEN",
    )
  }
  const token = Redacted.make(statusQueryToken(given))
  const connection = await connect(io, flags)
  const answer = await run(
    io,
    flags,
    withClient((client) =>
      connection.sender.pollingQueue === undefined
        ? client.getStatus(statusUrl, token)
        : client.getStatus(statusUrl, token, connection.sender.pollingQueue),
    ),
    connection,
  )
  print(io, flags.json === true, describeStatus(answer), () => statusLines(answer))
}

const wait = (io: Io, until: Date, label: string) =>
  new Promise<boolean>((resolve) => {
    const line = progressLine(io, 60_000)
    const tick = () => {
      const left = Math.max(0, Math.ceil((until.getTime() - Date.now()) / 1000))
      line.update(`${label} in ${left} s (the service's permitted poll time ${until.toISOString()})`)
      if (left <= 0) finish(true)
    }
    const timer = setInterval(tick, 1000)
    const finish = (completed: boolean) => {
      clearInterval(timer)
      line.done()
      resolve(completed)
    }
    void io.interrupted.then(() => finish(false))
    tick()
  })

export const poll = async (
  io: Io,
  flags: ConnectionFlags & { follow?: boolean; confirm?: boolean; json?: boolean },
): Promise<void> => {
  const connection = await connect(io, flags)
  let interrupted = false
  void io.interrupted.then(() => {
    interrupted = true
  })
  for (;;) {
    const polled = run(
      io,
      flags,
      Effect.gen(function* () {
        const client = yield* DirectClient.DirectClient
        const change = yield* client.getStatusChange(connection.sender)
        if (change._tag === "StatusChange" && flags.confirm === true) yield* client.confirm(change.status)
        return change
      }),
      connection,
    )
    // Following ends with Ctrl+C: that is its normal end, not a failure.
    const change =
      flags.follow === true
        ? await polled.catch((error: unknown) => {
            if (error instanceof CliFailure && error.exitCode === ExitCode.Interrupted) return undefined
            throw error
          })
        : await polled
    if (change === undefined) return
    const value =
      change._tag === "NoChanges"
        ? { _tag: "NoChanges", nextPermittedPollTime: change.nextPermittedPollTime }
        : {
            _tag: "StatusChange",
            ...describeStatus(change.status),
            confirmed: flags.confirm === true,
            nextPermittedPollTime: change.nextPermittedPollTime,
          }
    if (flags.follow !== true) {
      print(io, flags.json === true, value, () =>
        change._tag === "NoChanges"
          ? [`No changes. Next poll permitted at ${change.nextPermittedPollTime.toISOString()}`]
          : [...statusLines(change.status), ...(flags.confirm === true ? ["  (confirmed)"] : [])],
      )
      return
    }
    if (change._tag === "StatusChange") {
      // One JSON document per line while following, so a consumer can read changes as they come.
      if (flags.json === true) io.stdout(`${JSON.stringify(JSON.parse(toJson(value)))}\n`)
      else
        io.stdout(
          `${[...statusLines(change.status), ...(flags.confirm === true ? ["  (confirmed)"] : [])].join("\n")}\n`,
        )
    }
    if (interrupted) return
    // The service may allow the next poll at once after a change, and only later after an empty queue.
    if (change.nextPermittedPollTime.getTime() > Date.now()) {
      const completed = await wait(io, change.nextPermittedPollTime, "Next poll")
      if (!completed) return
    }
    if (interrupted) return
  }
}

export const download = async (
  io: Io,
  url: string,
  flags: ConnectionFlags & { out: string; kind?: string | undefined; force?: boolean | undefined; json?: boolean },
): Promise<void> => {
  const kind = flags.kind ?? (/\/xades(\/|$)/i.test(new URL(url).pathname) ? "xades" : "pades")
  if (kind !== "pades" && kind !== "xades") throw new CliFailure(ExitCode.Usage, "--kind must be pades or xades")
  if (flags.force !== true) {
    const exists = await access(flags.out).then(
      () => true,
      () => false,
    )
    if (exists) throw new CliFailure(ExitCode.Usage, `${flags.out} exists: pass --force to overwrite it`)
  }
  const connection = await connect(io, flags)
  // Written next to the target and renamed at the end, so an interrupted download never leaves a truncated file.
  const partial = `${flags.out}.partial`
  const line = progressLine(io)
  let received = 0
  let total: number | undefined
  try {
    await run(
      io,
      flags,
      Effect.gen(function* () {
        const client = yield* DirectClient.DirectClient
        const download = kind === "pades" ? yield* client.getPades(url) : yield* client.getXades(url)
        total = download.contentLength
        const file = createWriteStream(partial, { mode: 0o600 })
        yield* Stream.runForEach(download.stream, (chunk) =>
          Effect.callback<void>((resume) => {
            received += chunk.length
            line.update(
              total === undefined
                ? `Downloading ${formatBytes(received)}`
                : `Downloading ${formatBytes(received)} of ${formatBytes(total)} (${Math.floor((received / total) * 100)}%)`,
            )
            if (file.write(chunk)) resume(Effect.void)
            else file.once("drain", () => resume(Effect.void))
          }),
        ).pipe(
          Effect.ensuring(
            Effect.callback<void>((resume) => {
              file.end(() => resume(Effect.void))
            }),
          ),
        )
      }),
      connection,
    )
    line.done()
    await rename(partial, flags.out)
  } catch (error) {
    line.done()
    await rm(partial, { force: true })
    throw error
  }
  const result = { url, out: flags.out, bytes: received, kind }
  print(io, flags.json === true, result, () => [
    `Wrote ${formatBytes(received)} (${kind.toUpperCase()}) to ${flags.out}`,
  ])
}

export const confirm = async (
  io: Io,
  confirmationUrl: string,
  flags: ConnectionFlags & { json?: boolean },
): Promise<void> => {
  const connection = await connect(io, flags)
  await run(
    io,
    flags,
    withClient((client) => client.confirm({ confirmationUrl })),
    connection,
  )
  print(io, flags.json === true, { confirmed: true, confirmationUrl }, () => [`Confirmed ${confirmationUrl}`])
}
