import { describe, expect, it } from "@effect/vitest"
import { CliFailure, classify, ExitCode, formatBytes, type Io, progressLine } from "../../src/internal/output.js"

const sink = (stderrIsTty: boolean) => {
  const err: Array<string> = []
  const io: Io = {
    stdout: () => {},
    stderr: (text) => err.push(text),
    stderrIsTty,
    env: {},
    interrupted: new Promise(() => {}),
  }
  return { io, err }
}

describe("progress and countdown lines", () => {
  it("on a terminal, redraw one line in place and end it with a newline", () => {
    const { io, err } = sink(true)
    const line = progressLine(io)
    line.update("Next poll in 3 s", true)
    line.update("Next poll in 2 s", true)
    line.done()
    expect(err).toEqual(["\r\u001b[2KNext poll in 3 s", "\r\u001b[2KNext poll in 2 s", "\n"])
  })

  it("elsewhere, print plain lines, at most one per interval", () => {
    const { io, err } = sink(false)
    const line = progressLine(io, 60_000)
    line.update("Downloading 1.0 MB")
    line.update("Downloading 2.0 MB")
    line.done()
    expect(err).toEqual(["Downloading 1.0 MB\n"])
  })
})

describe("exit codes", () => {
  it("map the libraries' tagged errors by what the operator must do", () => {
    expect(classify({ _tag: "KeystoreError", reason: "Expired", message: "m" }).exitCode).toBe(ExitCode.Configuration)
    expect(classify({ _tag: "CertificateEnvironmentMismatch", reason: "x", message: "m" }).exitCode).toBe(3)
    expect(classify({ _tag: "TransportError", reason: "Connect", message: "m" }).exitCode).toBe(ExitCode.Unreachable)
    expect(classify({ _tag: "BrokerNotAuthorized", reason: "x", message: "m" }).exitCode).toBe(ExitCode.Refused)
    expect(classify(new CliFailure(ExitCode.Usage, "bad")).exitCode).toBe(2)
    expect(classify(new Error("boom")).exitCode).toBe(ExitCode.Failure)
  })

  it("formats sizes in decimal units", () => {
    expect(formatBytes(999)).toBe("999 B")
    expect(formatBytes(1_500_000)).toBe("1.5 MB")
  })
})
