/**
 * Where the command writes, how it prints results, and how a failure becomes an exit code. Results go to stdout
 * (one JSON document with `--json`); progress, countdowns and logs go to stderr, so `--json` output stays parseable.
 */

/** The process surface a command uses; tests and embedders pass their own. */
export interface Io {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  /** Whether stderr is a terminal: progress and countdowns redraw one line there. */
  readonly stderrIsTty: boolean
  readonly env: Readonly<Record<string, string | undefined>>
  /** Resolved when the user interrupts (Ctrl+C); long-running commands stop then. */
  readonly interrupted: Promise<void>
}

/**
 * Exit codes, documented in the README:
 * 0 success, 1 unexpected failure, 2 usage error, 3 configuration, certificate or input problem, 4 the service could
 * not be reached (connection, TLS, timeout), 5 the service refused or answered with an error, 130 interrupted.
 */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  Configuration: 3,
  Unreachable: 4,
  Refused: 5,
  Interrupted: 130,
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** A failure the command reports itself, with its exit code. Its message never holds a secret. */
export class CliFailure extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly tag = "CliFailure",
    readonly reason?: string,
  ) {
    super(message)
  }
}

const CONFIGURATION_TAGS = new Set([
  "KeystoreError",
  "TransportConfigError",
  "ValidationError",
  "CertificateEnvironmentMismatch",
  "ConfigError",
])
const REFUSED_TAGS = new Set([
  "BrokerNotAuthorized",
  "InvalidStatusQueryToken",
  "SigningCeremonyNotCompleted",
  "TooEagerPolling",
  "RateLimited",
  "UnexpectedResponse",
  "DocumentsNotDeletable",
  "DecodeError",
])

/** Maps any error (a tagged error of the libraries, or a {@link CliFailure}) to an exit code and a safe description. */
export const classify = (
  error: unknown,
): { exitCode: ExitCode; tag: string; reason: string | undefined; message: string } => {
  if (error instanceof CliFailure) {
    return { exitCode: error.exitCode, tag: error.tag, reason: error.reason, message: error.message }
  }
  const tagged = error as { _tag?: unknown; reason?: unknown; message?: unknown }
  const tag = typeof tagged?._tag === "string" ? tagged._tag : "Error"
  // Tagged errors of these packages carry `reason` as a string literal (Effect's config errors carry an object).
  const reason = typeof tagged?.reason === "string" ? tagged.reason : undefined
  const message = typeof tagged?.message === "string" && tagged.message !== "" ? tagged.message : String(error)
  const exitCode = CONFIGURATION_TAGS.has(tag)
    ? ExitCode.Configuration
    : tag === "TransportError" || tag === "ServerIdentityError"
      ? ExitCode.Unreachable
      : REFUSED_TAGS.has(tag)
        ? ExitCode.Refused
        : ExitCode.Failure
  return { exitCode, tag, reason, message }
}

/** JSON with bigints as strings (job ids) and dates as ISO text. */
export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v), 2)

/** Prints `value` as JSON, or `human` (lines) otherwise. */
export const print = (io: Io, json: boolean, value: unknown, human: () => ReadonlyArray<string>): void => {
  io.stdout(json ? `${toJson(value)}\n` : `${human().join("\n")}\n`)
}

const units = ["B", "kB", "MB", "GB"]

/** `1.4 MB`: decimal units, as download tools show them. */
export const formatBytes = (bytes: number): string => {
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

/**
 * A progress line on stderr: redrawn in place on a terminal (at most every 100 ms), else printed as a plain line at
 * most every `plainEvery` ms, so logs of a non-interactive run stay short.
 */
export const progressLine = (io: Io, plainEvery = 5_000) => {
  let last = 0
  let drawn = false
  return {
    update: (text: string, force = false) => {
      const now = Date.now()
      if (io.stderrIsTty) {
        if (!force && now - last < 100) return
        io.stderr(`\r\u001b[2K${text}`)
        drawn = true
      } else {
        if (!force && now - last < plainEvery) return
        io.stderr(`${text}\n`)
      }
      last = now
    },
    done: () => {
      if (drawn) io.stderr("\n")
      drawn = false
    },
  }
}
