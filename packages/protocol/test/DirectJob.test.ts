import { runInNewContext } from "node:vm"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import fc from "fast-check"
import * as DirectJob from "../src/DirectJob.js"
import { completePin } from "../src/internal/checkDigits.js"
import { isUrlEncodingInvariant, reduceToFileNameSafeChars } from "../src/internal/fileName.js"
import { ValidationError } from "../src/ProtocolError.js"
import { arbPin, arbValidInput, pdf, validInput, validOrg, validPin, validPin2 } from "./support/direct.js"

const issuesOf = (input: DirectJob.DirectJobInput, options?: DirectJob.ValidateOptions) =>
  DirectJob.validate(input, options).map((i) => `${i.path}:${i.rule}`)

const ok = (input: DirectJob.DirectJobInput, options?: DirectJob.ValidateOptions) =>
  expect(DirectJob.validate(input, options)).toEqual([])

const s = (n: number, c = "a") => c.repeat(n)

describe("DirectJob.make", () => {
  it("builds a validated job with defaults, file names and a redacted PIN", () => {
    const result = DirectJob.make(validInput({ documents: [{ title: "Hei på deg", bytes: pdf() }] }))
    expect(Result.isSuccess(result)).toBe(true)
    const job = Result.getOrThrow(result)
    expect(job._tag).toBe("DirectJob")
    expect(job.statusRetrievalMethod).toBe("WAIT_FOR_CALLBACK")
    expect(job.statusRetrievalMethodChosen).toBe(false)
    expect(DirectJob.makeOrThrow(validInput({ statusRetrievalMethod: "POLLING" })).statusRetrievalMethodChosen).toBe(
      true,
    )
    expect(job.documents[0]).toMatchObject({ fileName: "0000_hei_paa_deg.pdf", mediaType: "application/pdf" })
    const signer = job.signers[0]!
    expect(signer._tag).toBe("PersonalIdentificationNumber")
    if (signer._tag !== "PersonalIdentificationNumber") return
    expect(Redacted.isRedacted(signer.personalIdentificationNumber)).toBe(true)
    expect(Redacted.value(signer.personalIdentificationNumber)).toBe(validPin)
    // Nothing that prints the job reveals the PIN.
    expect(JSON.stringify(job)).not.toContain(validPin)
    expect(String(signer.personalIdentificationNumber)).not.toContain(validPin)
  })

  it("accepts document bytes from another realm (worker, vm) and Node Buffers", () => {
    const foreign = runInNewContext("new Uint8Array(src)", { src: Array.from(pdf()) }) as Uint8Array
    expect(foreign instanceof Uint8Array).toBe(false)
    ok(
      validInput({
        documents: [
          { title: "a", bytes: foreign },
          { title: "b", bytes: Buffer.from("%PDF-1.4") },
        ],
      }),
    )
    expect(issuesOf(validInput({ documents: [{ title: "a", bytes: new Uint16Array(4) as never }] }))).toEqual([
      "documents[0].bytes:type",
    ])
  })

  it("accepts a PIN given as Redacted", () => {
    ok(validInput({ signers: [{ personalIdentificationNumber: Redacted.make(validPin) }] }))
  })

  it("fails with a ValidationError listing every issue at once", () => {
    const result = DirectJob.make(
      validInput({ title: "", reference: s(51), signers: [], sender: { organizationNumber: "12345678" } }),
    )
    expect(Result.isFailure(result)).toBe(true)
    if (!Result.isFailure(result)) return
    expect(result.failure).toBeInstanceOf(ValidationError)
    expect(result.failure.issues.map((i) => i.path)).toEqual([
      "title",
      "reference",
      "sender.organizationNumber",
      "signers",
    ])
    expect(result.failure.message).toContain("reference: reference must be at most 50 characters")
  })

  it.effect("makeEffect succeeds and fails in the error channel", () =>
    Effect.gen(function* () {
      const job = yield* DirectJob.makeEffect(validInput())
      expect(job.title).toBe("Ansettelseskontrakt")
      const error = yield* Effect.flip(DirectJob.makeEffect(validInput({ title: "" })))
      expect(error._tag).toBe("ValidationError")
      expect(error.issues[0]?.path).toBe("title")
    }),
  )

  it("makeOrThrow throws the ValidationError itself", () => {
    expect(DirectJob.makeOrThrow(validInput()).signers).toHaveLength(1)
    expect(() => DirectJob.makeOrThrow(validInput({ title: "" }))).toThrow(ValidationError)
  })

  it("never throws on input that is not a job at all", () => {
    for (const junk of [null, undefined, 42, "job", [], { title: 1, documents: "x", signers: {}, sender: 1 }]) {
      const issues = DirectJob.validate(junk as never)
      expect(issues.length).toBeGreaterThan(0)
    }
    const weird = DirectJob.validate(
      validInput({
        signers: [
          null as never,
          { personalIdentificationNumber: 123 as never },
          { personalIdentificationNumber: Redacted.make(12345678901) as never },
        ],
        documents: [7 as never],
      }),
    )
    expect(weird.map((i) => i.path)).toEqual([
      "signers[0]",
      "signers[1].personalIdentificationNumber",
      "signers[2].personalIdentificationNumber",
      "documents[0]",
    ])
  })
})

describe("limits, both sides of each boundary", () => {
  it("title 1–80", () => {
    ok(validInput({ title: s(1) }))
    ok(validInput({ title: s(80) }))
    expect(issuesOf(validInput({ title: "" }))).toEqual(["title:required"])
    expect(issuesOf(validInput({ title: s(81) }))).toEqual(["title:too-long"])
  })

  it("lengths count characters (code points), as XML Schema does", () => {
    ok(validInput({ title: "\u{1F600}".repeat(80) }))
    expect(issuesOf(validInput({ title: "\u{1F600}".repeat(81) }))).toEqual(["title:too-long"])
  })

  it("description ≤ 220", () => {
    ok(validInput({ description: s(220) }))
    expect(issuesOf(validInput({ description: s(221) }))).toEqual(["description:too-long"])
  })

  it("reference ≤ 50", () => {
    ok(validInput({ reference: s(50) }))
    expect(issuesOf(validInput({ reference: s(51) }))).toEqual(["reference:too-long"])
  })

  it("exit URLs ≤ 500 and absolute http(s)", () => {
    const base = "https://sender.example/"
    const at500 = base + s(500 - base.length)
    const exitUrls = (completionUrl: string) => ({
      completionUrl,
      rejectionUrl: "http://sender.example/r",
      errorUrl: "https://sender.example/e",
    })
    ok(validInput({ exitUrls: exitUrls(at500) }))
    expect(issuesOf(validInput({ exitUrls: exitUrls(at500 + "a") }))).toEqual(["exitUrls.completionUrl:too-long"])
    for (const bad of [
      "/relative",
      "ftp://sender.example/x",
      "javascript:alert(1)",
      "https://",
      "https://a b/c",
      " https://a/",
    ]) {
      expect(issuesOf(validInput({ exitUrls: exitUrls(bad) }))).toEqual(["exitUrls.completionUrl:url"])
    }
    expect(issuesOf(validInput({ exitUrls: { ...exitUrls("https://a/"), errorUrl: "" } }))).toEqual([
      "exitUrls.errorUrl:required",
    ])
  })

  it("custom identifier 1–80 and unique within the job", () => {
    ok(validInput({ signers: [{ customIdentifier: s(1) }] }))
    ok(validInput({ signers: [{ customIdentifier: s(80) }, { customIdentifier: s(80, "b") }] }))
    expect(issuesOf(validInput({ signers: [{ customIdentifier: "" }] }))).toEqual([
      "signers[0].customIdentifier:required",
    ])
    expect(issuesOf(validInput({ signers: [{ customIdentifier: s(81) }] }))).toEqual([
      "signers[0].customIdentifier:too-long",
    ])
    const dup = DirectJob.validate(
      validInput({ signers: [{ customIdentifier: "x" }, { customIdentifier: "y" }, { customIdentifier: "x" }] }),
    )
    expect(dup).toEqual([
      { path: "signers[2].customIdentifier", rule: "duplicate", message: expect.stringContaining("signers[0]") },
    ])
  })

  it("a signer has exactly one identifier", () => {
    expect(issuesOf(validInput({ signers: [{} as never] }))).toEqual(["signers[0]:signer-identifier"])
    expect(
      issuesOf(validInput({ signers: [{ customIdentifier: "x", personalIdentificationNumber: validPin } as never] })),
    ).toEqual(["signers[0]:signer-identifier"])
  })

  it("1–10 signers", () => {
    const signers = (n: number) => Array.from({ length: n }, (_, i) => ({ customIdentifier: `signer-${i}` }))
    ok(validInput({ signers: signers(1) }))
    ok(validInput({ signers: signers(10) }))
    expect(issuesOf(validInput({ signers: signers(0) }))).toEqual(["signers:too-few"])
    expect(issuesOf(validInput({ signers: signers(11) }))).toEqual(["signers:too-many"])
  })

  it("1–20 documents", () => {
    const docs = (n: number) => Array.from({ length: n }, (_, i) => ({ title: `Dokument ${i}`, bytes: pdf() }))
    ok(validInput({ documents: docs(1) }))
    ok(validInput({ documents: docs(20) }))
    expect(issuesOf(validInput({ documents: docs(0) }))).toEqual(["documents:too-few"])
    expect(issuesOf(validInput({ documents: docs(21) }))).toEqual(["documents:too-many"])
  })

  it("document title 1–80", () => {
    ok(validInput({ documents: [{ title: s(80), bytes: pdf() }] }))
    expect(issuesOf(validInput({ documents: [{ title: "", bytes: pdf() }] }))).toEqual(["documents[0].title:required"])
    expect(issuesOf(validInput({ documents: [{ title: s(81), bytes: pdf() }] }))).toEqual([
      "documents[0].title:too-long",
    ])
  })

  it("file names 4–100, URL-safe, unique, not manifest.xml", () => {
    const doc = (fileName: string) => ({ title: "T", bytes: pdf(), fileName })
    ok(validInput({ documents: [doc("a.pd")] }))
    ok(validInput({ documents: [doc(s(96) + ".pdf")] }))
    expect(issuesOf(validInput({ documents: [doc("a.p")] }))).toEqual(["documents[0].fileName:too-short"])
    expect(issuesOf(validInput({ documents: [doc(s(97) + ".pdf")] }))).toEqual(["documents[0].fileName:too-long"])
    expect(issuesOf(validInput({ documents: [doc("dokument (2).pdf")] }))).toEqual([
      "documents[0].fileName:unsafe-characters",
    ])
    expect(issuesOf(validInput({ documents: [doc("Manifest.XML")] }))).toEqual(["documents[0].fileName:reserved"])
    expect(issuesOf(validInput({ documents: [doc("same.pdf"), doc("same.pdf")] }))).toEqual([
      "documents[1].fileName:duplicate",
    ])
  })

  it("generated file names stay within 100 characters even when the title expands", () => {
    const job = DirectJob.makeOrThrow(validInput({ documents: [{ title: "æ".repeat(80), bytes: pdf() }] }))
    expect(job.documents[0]!.fileName).toBe(`0000_${"ae".repeat(45)}a.pdf`)
    expect(job.documents[0]!.fileName).toHaveLength(100)
  })

  it("identical titles get distinct names through the index prefix", () => {
    const job = DirectJob.makeOrThrow(
      validInput({
        documents: [
          { title: "Avtale", bytes: pdf() },
          { title: "Avtale", bytes: pdf() },
        ],
      }),
    )
    expect(job.documents.map((d) => d.fileName)).toEqual(["0000_avtale.pdf", "0001_avtale.pdf"])
  })

  it("PIN: 11 digits with valid check digits", () => {
    const pin = (p: string) => validInput({ signers: [{ personalIdentificationNumber: p }] })
    ok(pin(validPin))
    ok(pin(validPin2))
    // D-number: first digit + 4.
    ok(pin(completePin("410170123")!))
    expect(issuesOf(pin(validPin.slice(0, 10)))).toEqual(["signers[0].personalIdentificationNumber:pattern"])
    expect(issuesOf(pin(validPin + "0"))).toEqual(["signers[0].personalIdentificationNumber:pattern"])
    expect(issuesOf(pin("0101701234a"))).toEqual(["signers[0].personalIdentificationNumber:pattern"])
    const wrongLast = validPin.slice(0, 10) + String((Number(validPin[10]) + 1) % 10)
    expect(issuesOf(pin(wrongLast))).toEqual(["signers[0].personalIdentificationNumber:check-digit"])
    const wrongFirst = validPin.slice(0, 9) + String((Number(validPin[9]) + 1) % 10) + validPin[10]
    expect(issuesOf(pin(wrongFirst))).toEqual(["signers[0].personalIdentificationNumber:check-digit"])
  })

  it("numbers whose check digit would be 10 do not exist", () => {
    const prefixes = Array.from({ length: 200 }, (_, i) => String(100000000 + i * 7919).slice(0, 9))
    const impossible = prefixes.filter((p) => DirectJob.completePersonalIdentificationNumber(p) === undefined)
    expect(impossible.length).toBeGreaterThan(0)
    for (const p of impossible) {
      for (let d = 0; d < 100; d++) {
        expect(DirectJob.isValidPersonalIdentificationNumber(p + String(d).padStart(2, "0"))).toBe(false)
      }
    }
    const orgPrefixes = Array.from({ length: 100 }, (_, i) => String(90000000 + i * 13))
    const noOrg = orgPrefixes.filter((p) => DirectJob.completeOrganizationNumber(p) === undefined)
    expect(noOrg.length).toBeGreaterThan(0)
    for (const p of noOrg) {
      for (let d = 0; d < 10; d++) expect(DirectJob.isValidOrganizationNumber(p + String(d))).toBe(false)
    }
  })

  it("PIN check digits can be waived for synthetic numbers, the 11-digit pattern cannot", () => {
    const options = { allowInvalidPersonalIdentificationNumberChecksum: true }
    ok(validInput({ signers: [{ personalIdentificationNumber: "01017012345" }] }), options)
    expect(issuesOf(validInput({ signers: [{ personalIdentificationNumber: "0101701234" }] }), options)).toEqual([
      "signers[0].personalIdentificationNumber:pattern",
    ])
  })

  it("every 9-digit prefix with a check digit validates, and every other last digit fails", () => {
    fc.assert(
      fc.property(arbPin, (p) => {
        expect(DirectJob.isValidPersonalIdentificationNumber(p)).toBe(true)
        for (let d = 0; d <= 9; d++) {
          const other = p.slice(0, 10) + String(d)
          expect(DirectJob.isValidPersonalIdentificationNumber(other)).toBe(other === p)
        }
      }),
    )
  })

  it("PINs are masked in every message (first 6 digits at most)", () => {
    const wrong = validPin.slice(0, 10) + String((Number(validPin[10]) + 1) % 10)
    const candidates = [wrong, validPin.slice(0, 10), validPin + "9", "12345678901234567890"]
    for (const p of candidates) {
      const result = DirectJob.make(validInput({ signers: [{ personalIdentificationNumber: p }] }))
      if (!Result.isFailure(result)) throw new Error("expected failure")
      const text = result.failure.message + JSON.stringify(result.failure.issues)
      expect(text).not.toMatch(/\d{7,}/)
      if (p.length === 11) expect(text).toContain(`${p.slice(0, 6)}*****`)
    }
    expect(DirectJob.maskPersonalIdentificationNumber(validPin)).toBe(`${validPin.slice(0, 6)}*****`)
    expect(DirectJob.maskPersonalIdentificationNumber(Redacted.make(validPin))).toBe(`${validPin.slice(0, 6)}*****`)
  })

  it("organization number: 9 digits with mod-11 check digit", () => {
    const org = (organizationNumber: string) => validInput({ sender: { organizationNumber } })
    ok(org(validOrg))
    ok(org(DirectJob.completeOrganizationNumber("99999999") ?? "999999999"))
    expect(issuesOf(org("98316332"))).toEqual(["sender.organizationNumber:pattern"])
    expect(issuesOf(org("9831633270"))).toEqual(["sender.organizationNumber:pattern"])
    expect(issuesOf(org("983163328"))).toEqual(["sender.organizationNumber:check-digit"])
  })

  it("total document bytes ≤ 10 485 760", () => {
    const max = DirectJob.limits.maxTotalDocumentBytes
    const sized = (n: number) => {
      const b = new Uint8Array(n)
      b.set(pdf())
      return b
    }
    ok(
      validInput({
        documents: [
          { title: "a", bytes: sized(max - 100) },
          { title: "b", bytes: sized(100) },
        ],
      }),
    )
    expect(
      issuesOf(
        validInput({
          documents: [
            { title: "a", bytes: sized(max - 100) },
            { title: "b", bytes: sized(101) },
          ],
        }),
      ),
    ).toEqual(["documents:too-large"])
  })

  it("PDF by content, not by name; text/plain only when chosen", () => {
    const text = new TextEncoder().encode("just text")
    expect(issuesOf(validInput({ documents: [{ title: "x.pdf", bytes: text }] }))).toEqual([
      "documents[0].bytes:not-pdf",
    ])
    expect(issuesOf(validInput({ documents: [{ title: "x", bytes: text, mediaType: "application/pdf" }] }))).toEqual([
      "documents[0].bytes:not-pdf",
    ])
    const job = DirectJob.makeOrThrow(
      validInput({ documents: [{ title: "Notat", bytes: text, mediaType: "text/plain" }] }),
    )
    expect(job.documents[0]).toMatchObject({ mediaType: "text/plain", fileName: "0000_notat.txt" })
    expect(issuesOf(validInput({ documents: [{ title: "x", bytes: new Uint8Array(0) }] }))).toEqual([
      "documents[0].bytes:required",
    ])
    expect(
      issuesOf(validInput({ documents: [{ title: "x", bytes: pdf(), mediaType: "application/msword" as never }] })),
    ).toEqual(["documents[0].mediaType:not-allowed"])
  })

  it("characters XML 1.0 cannot carry are rejected in every text field", () => {
    for (const bad of ["\u0000", "\u0001", "\u000B", "\uFFFE", "\uD800", "a\uDC00b"]) {
      expect(
        issuesOf(
          validInput({
            title: `t${bad}`,
            description: bad,
            reference: bad,
            documents: [{ title: bad, bytes: pdf() }],
            signers: [{ customIdentifier: bad }],
            sender: { organizationNumber: validOrg, pollingQueue: bad },
          }),
        ),
      ).toEqual([
        "title:xml-character",
        "description:xml-character",
        "reference:xml-character",
        "sender.pollingQueue:xml-character",
        "signers[0].customIdentifier:xml-character",
        "documents[0].title:xml-character",
      ])
    }
    ok(validInput({ title: "tab\tnewline\ncr\r😀 &<>\"'" }))
  })

  it("enumerations are checked at run time too", () => {
    expect(
      issuesOf(
        validInput({
          statusRetrievalMethod: "PUSH" as never,
          requiredAuthentication: "2" as never,
          identifierInSignedDocuments: "EMAIL" as never,
          signers: [{ customIdentifier: "x", signatureType: "QES" as never, onBehalfOf: "NOBODY" as never }],
        }),
      ),
    ).toEqual([
      "statusRetrievalMethod:not-allowed",
      "requiredAuthentication:not-allowed",
      "identifierInSignedDocuments:not-allowed",
      "signers[0].signatureType:not-allowed",
      "signers[0].onBehalfOf:not-allowed",
    ])
  })

  it("every generated valid job validates", () => {
    fc.assert(
      fc.property(arbValidInput, (input) => {
        expect(DirectJob.validate(input)).toEqual([])
      }),
      { numRuns: 200 },
    )
  })
})

describe("document file names (PROTOCOL.md A.2)", () => {
  it("matches the documented examples", () => {
    expect(reduceToFileNameSafeChars("Hei   på \t  Deg")).toBe("hei_paa_deg")
    expect(reduceToFileNameSafeChars("Morse ...---...")).toBe("morse_...---...")
    expect(reduceToFileNameSafeChars("Ærlig Øl Å")).toBe("aerlig_oel_aa")
    expect(reduceToFileNameSafeChars("Crème brûlée, señor!")).toBe("creme_brulee_senor_")
    expect(reduceToFileNameSafeChars("a/b")).toBe("a6b")
    expect(reduceToFileNameSafeChars("“quoted” (x) [y] {z} #1 ^`´<>")).toBe("_quoted_x_y_z_1_")
    expect(DirectJob.documentFileName(0, "Hei på deg", "application/pdf")).toBe("0000_hei_paa_deg.pdf")
    expect(DirectJob.documentFileName(19, "Notat", "text/plain")).toBe("0019_notat.txt")
  })

  it("names are URL-encoding invariant and within the alphabet for any title", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 80 }), fc.nat(19), (title, index) => {
        const name = DirectJob.documentFileName(index, title, "application/pdf")
        expect(encodeURIComponent(name)).toBe(name)
        expect(new URLSearchParams({ n: name }).toString()).toBe(`n=${name}`)
        expect(isUrlEncodingInvariant(name)).toBe(true)
        expect(name).toMatch(/^[0-9]{4}_[-.0-9_a-z]*\.pdf$/)
        expect(name.length).toBeLessThanOrEqual(100)
      }),
      { numRuns: 500 },
    )
  })
})
