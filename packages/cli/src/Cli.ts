/**
 * The `signering` command for operators: check an enterprise certificate, ask the service who you are, create and
 * follow signature jobs, and run the local simulator. Built on commander; each command runs the same client and Node
 * transport an application uses, configured from the same `SIGNERING_*` variables.
 *
 * @since 0.1.0
 */
import { DirectClient, version } from "@signering/client"
import { Command, CommanderError, Option } from "commander"
import { inspect } from "./internal/certificate.js"
import { type ConnectionFlags, passphraseOf, variables } from "./internal/connection.js"
import * as Jobs from "./internal/jobs.js"
import { CliFailure, classify, ExitCode, type Io, print, toJson } from "./internal/output.js"
import { simulator } from "./internal/simulator.js"

export { ExitCode, type Io } from "./internal/output.js"

const names = DirectClient.configNames

const exitCodesHelp = `
Exit codes:
  0    success
  1    unexpected failure
  2    usage error (unknown command or option, missing argument, a file that would be overwritten)
  3    configuration, certificate or input problem (SIGNERING_* variables, keystore, passphrase, trust
       anchors, an expired certificate or one for the other environment, a job input the library refuses)
  4    the service could not be reached (connection, TLS handshake, server identity, timeout)
  5    the service refused the request or answered with an error
  130  interrupted`

const environmentHelp = `
Configuration (flags override):
  ${names.environment}   production, difitest (default), difiqa or custom
  ${names.apiRoot}   the API root of a custom environment (the simulator)
  ${names.serverOrganizationNumber}   organization number of the server's certificate (default Posten's)
  ${names.senderOrganizationNumber}   the sender (default: the certificate's organization)
  ${names.senderPollingQueue}   the sender's polling queue
  ${variables.keystore}   the enterprise certificate, a PKCS#12 file
  ${variables.passphrase}   its passphrase (or ${variables.passphraseFile}: a file holding it)
  ${variables.trustAnchors}   CA certificates (PEM file, directory, or comma-separated paths);
      default: the environment's built-in anchors`

const connectionOptions = (command: Command): Command =>
  command
    .option("--environment <name>", `production, difitest, difiqa or custom (${names.environment})`)
    .option("--api-root <url>", `API root of a custom environment (${names.apiRoot})`)
    .option("--server-org <orgnr>", `server certificate's organization number (${names.serverOrganizationNumber})`)
    .option("--sender <orgnr>", `sender organization number (${names.senderOrganizationNumber})`)
    .option("--queue <name>", `the sender's polling queue (${names.senderPollingQueue})`)
    .option("--keystore <file>", `PKCS#12 file of the enterprise certificate (${variables.keystore})`)
    .option("--trust-anchors <paths>", `CA certificates to trust (${variables.trustAnchors})`)
    .option("--verbose", "log informational lines (e.g. expired trust anchors left out) to stderr")
    .option("--json", "print the result as JSON")
    .addHelpText("after", environmentHelp)

/** Everything `run` needs from the process; {@link nodeIo} gives the real one. */
const build = (io: Io) => {
  const program = new Command("signering")
    .description(
      "Operate the Posten signering service: check certificates, ask who you are, create and follow signature jobs.",
    )
    .version(version, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .addHelpText("after", exitCodesHelp)

  program
    .command("cert")
    .description(
      "Show an enterprise certificate: organization number (SEID 1 and SEID 2), subject, issuer, validity and which environment issued it",
    )
    .argument("<file>", "PKCS#12 (passphrase from SIGNERING_KEYSTORE_PASSPHRASE), PEM or DER certificate")
    .option(
      "--json",
      "print one JSON object: organizationNumber, subject, issuer, notBefore, notAfter, expired, environment",
    )
    .addHelpText("after", exitCodesHelp)
    .action(async (file: string, flags: { json?: boolean }) => {
      const { info, source } = await inspect(file, await passphraseOf(io.env), new Date())
      print(io, flags.json === true, info, () => [
        `Organization number: ${info.organizationNumber ?? "none"}${
          source === undefined
            ? ""
            : ` (${source.style === "SEID2" ? "SEID 2" : source.style === "SEID1" ? "SEID 1" : "common name"}: ${source.attribute})`
        }`,
        `Subject:             ${info.subject}`,
        `Issuer:              ${info.issuer}`,
        `Valid:               ${info.notBefore} to ${info.notAfter}${info.expired ? " (EXPIRED)" : ""}`,
        `Environment:         ${
          info.environment === "unknown"
            ? "unknown (not issued by the built-in production or test CAs)"
            : `${info.environment} (issued by the built-in ${info.environment} CAs)`
        }`,
      ])
    })

  connectionOptions(
    program
      .command("whoami")
      .description("Ask the service who you are over mutual TLS (GET <root>/<org>); prints its answer"),
  ).action((flags: ConnectionFlags & { json?: boolean }) => Jobs.whoami(io, flags))

  connectionOptions(
    program
      .command("create")
      .description("Create a direct signature job from PDF files; prints the job id and each signer's one-time link")
      .requiredOption("--title <text>", "the job's title")
      .requiredOption("--pdf <file...>", "PDF documents to sign (repeat or list several)")
      .option(
        "--signer <pin...>",
        "a signer by national identity number (never printed; visible to other local users in the process list)",
      )
      .option("--signer-id <id...>", "a signer by custom identifier")
      .option("--description <text>", "the job's description")
      .option("--reference <text>", "your reference (no personal data: it appears in e-mails)")
      .option("--exit-url <url>", "one URL for completion, rejection and error")
      .option("--completion-url <url>", "where the signer goes after signing")
      .option("--rejection-url <url>", "where the signer goes after rejecting")
      .option("--error-url <url>", "where the signer goes after an error")
      .option("--polling", "get status changes by polling (signering poll) instead of the exit URL's token")
      .option("--allow-test-pins", "accept synthetic national identity numbers with wrong check digits"),
  ).action((flags: Jobs.CreateFlags) => Jobs.create(io, flags))

  connectionOptions(
    program
      .command("status")
      .description("A job's status with the status query token from the signer's exit URL")
      .argument("<status-url>", "the job's status URL (printed by create)")
      .option(
        "--token <token-or-exit-url>",
        "the status_query_token, or the whole exit URL (default SIGNERING_STATUS_QUERY_TOKEN)",
      ),
  ).action((statusUrl: string, flags: ConnectionFlags & { token?: string; json?: boolean }) =>
    Jobs.status(io, statusUrl, flags),
  )

  connectionOptions(
    program
      .command("poll")
      .description("Poll the sender's queue for the next status change (jobs created with --polling)")
      .option("--follow", "keep polling, waiting each time for the permitted poll time (a countdown on a terminal)")
      .option("--confirm", "confirm each change after printing it"),
  ).action((flags: ConnectionFlags & { follow?: boolean; confirm?: boolean; json?: boolean }) => Jobs.poll(io, flags))

  connectionOptions(
    program
      .command("download")
      .description("Download a signed document (PAdES or a signer's XAdES) to a file, with progress")
      .argument("<url>", "the PAdES or XAdES URL from a status")
      .requiredOption("--out <file>", "where to write it")
      .addOption(new Option("--kind <kind>", "what the URL serves (default: from the URL)").choices(["pades", "xades"]))
      .option("--force", "overwrite an existing file"),
  ).action((url: string, flags: ConnectionFlags & { out: string; kind?: string; force?: boolean; json?: boolean }) =>
    Jobs.download(io, url, flags),
  )

  connectionOptions(
    program
      .command("confirm")
      .description("Confirm a status change, so the service stops re-delivering it")
      .argument("<confirmation-url>", "the confirmation URL from a status"),
  ).action((confirmationUrl: string, flags: ConnectionFlags & { json?: boolean }) =>
    Jobs.confirm(io, confirmationUrl, flags),
  )

  program
    .command("simulator")
    .description("Run the local simulator and print the SIGNERING_* lines that point signering and applications at it")
    .option("--dir <path>", "where to write its CA, certificates, keys and PKCS#12 files", ".signering-simulator")
    .option("--org <orgnr...>", "sender organizations with API access (default two test organizations)")
    .option("--port <n>", "API port (default any free port)")
    .option("--portal-port <n>", "signing portal port (default any free port)")
    .option("--json", "print the settings as one JSON object")
    .addHelpText("after", exitCodesHelp)
    .action((flags: { dir?: string; org?: Array<string>; port?: string; portalPort?: string; json?: boolean }) =>
      simulator(io, flags),
    )

  return program
}

/**
 * Runs the command line `argv` (without the node and script paths) and resolves to its exit code; never rejects.
 * Failures are printed to stderr (and, with `--json`, as `{ "error": { … } }` on stdout).
 *
 * @example
 * ```ts
 * import { Cli } from "@signering/cli"
 *
 * process.exitCode = await Cli.run(["cert", "virksomhet.p12", "--json"], Cli.nodeIo())
 * ```
 *
 * @since 0.1.0
 */
export const run = async (argv: ReadonlyArray<string>, io: Io): Promise<ExitCode> => {
  const program = build(io)
  try {
    await program.parseAsync([...argv], { from: "user" })
    return ExitCode.Ok
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage
    }
    if (error instanceof CliFailure && error.exitCode === ExitCode.Interrupted) {
      io.stderr("signering: interrupted\n")
      return ExitCode.Interrupted
    }
    const failure = classify(error)
    io.stderr(`signering: ${failure.message}\n`)
    if (argv.includes("--json")) {
      io.stdout(
        `${toJson({ error: { tag: failure.tag, ...(failure.reason === undefined ? {} : { reason: failure.reason }), message: failure.message, exitCode: failure.exitCode } })}\n`,
      )
    }
    return failure.exitCode
  }
}

/**
 * The real process: `process.stdout`/`stderr`, `process.env`, and Ctrl+C (SIGINT) or SIGTERM as the interruption.
 *
 * @example
 * ```ts
 * import { Cli } from "@signering/cli"
 *
 * const code = await Cli.run(process.argv.slice(2), Cli.nodeIo())
 * ```
 *
 * @since 0.1.0
 */
export const nodeIo = (): Io => {
  let interrupt: () => void = () => {}
  const interrupted = new Promise<void>((resolve) => {
    interrupt = resolve
  })
  const onSignal = () => interrupt()
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTty: process.stderr.isTTY === true,
    env: process.env,
    interrupted,
  }
}
