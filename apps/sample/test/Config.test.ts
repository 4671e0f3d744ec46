import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import * as Config from "../src/Config.js"

const base = {
  SIGNERING_KEYSTORE: "/secure/virksomhet.p12",
  SIGNERING_KEYSTORE_PASSPHRASE: "hunter2",
  SIGNERING_TRUST_ANCHORS: "trust/test, extra/ca.pem",
}

describe("Config.fromEnv", () => {
  it("defaults to difitest, Posten's organization number, the app's queue and 127.0.0.1:3000", () => {
    const config = Config.fromEnv(base)
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 3000,
      databasePath: Config.defaultDatabasePath,
      signing: {
        environment: "difitest",
        serverOrganizationNumber: "984661185",
        pollingQueue: "signering-sample",
        trustAnchors: ["trust/test", "extra/ca.pem"],
        keystore: { _tag: "Pkcs12", path: "/secure/virksomhet.p12" },
      },
    })
    expect(Config.defaultDatabasePath).toMatch(/apps\/sample\/\.sample-data\/sample\.db$/)
    const keystore = config.signing.keystore
    expect(keystore._tag === "Pkcs12" && Redacted.value(keystore.passphrase)).toBe("hunter2")
    // The passphrase never shows when the configuration is printed or logged.
    expect(JSON.stringify(config)).not.toContain("hunter2")
    expect(String(keystore.passphrase)).not.toContain("hunter2")
  })

  it("reads PEM files instead of PKCS#12, and a custom API root", () => {
    const config = Config.fromEnv({
      SIGNERING_ENVIRONMENT: "custom",
      SIGNERING_API_ROOT: "https://127.0.0.1:4000/api",
      SIGNERING_SERVER_ORGANIZATION_NUMBER: "123456785",
      SIGNERING_CERTIFICATE: "chain.pem",
      SIGNERING_PRIVATE_KEY: "key.pem",
      SIGNERING_TRUST_ANCHORS: "ca.pem",
      SAMPLE_PORT: "0",
    })
    expect(config.port).toBe(0)
    expect(config.signing).toMatchObject({
      environment: "custom",
      apiRoot: "https://127.0.0.1:4000/api",
      serverOrganizationNumber: "123456785",
      keystore: { _tag: "Pem", certificatesPath: "chain.pem", privateKeyPath: "key.pem", passphrase: undefined },
    })
  })

  it("reads the passphrase from a file, and the desk login (a short password is refused, naming the limit)", () => {
    const dir = mkdtempSync(join(tmpdir(), "sample-config-"))
    const file = join(dir, "passphrase")
    writeFileSync(file, "from-a-file\n")
    const config = Config.fromEnv({
      ...base,
      SIGNERING_KEYSTORE_PASSPHRASE: "",
      SIGNERING_KEYSTORE_PASSPHRASE_FILE: file,
      SAMPLE_DESK_PASSWORD: "long-enough-password",
    })
    const keystore = config.signing.keystore
    expect(keystore._tag === "Pkcs12" && Redacted.value(keystore.passphrase)).toBe("from-a-file")
    expect(config.desk?.user).toBe("sender")
    expect(config.desk && Redacted.value(config.desk.password)).toBe("long-enough-password")
    expect(JSON.stringify(config)).not.toContain("long-enough-password")
    expect(Config.fromEnv(base).desk).toBeUndefined()
    expect(() => Config.fromEnv({ ...base, SAMPLE_DESK_PASSWORD: "short" })).toThrow(
      "SAMPLE_DESK_PASSWORD must be at least 12 characters",
    )
    expect(() =>
      Config.fromEnv({
        ...base,
        SIGNERING_KEYSTORE_PASSPHRASE: "",
        SIGNERING_KEYSTORE_PASSPHRASE_FILE: join(dir, "no"),
      }),
    ).toThrow("SIGNERING_KEYSTORE_PASSPHRASE_FILE names a file that cannot be read")
    rmSync(dir, { recursive: true, force: true })
  })

  it("names the variable that is missing or wrong", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ...base, SIGNERING_TRUST_ANCHORS: "" }, /SIGNERING_TRUST_ANCHORS is not set/],
      [{ ...base, SIGNERING_KEYSTORE_PASSPHRASE: "" }, /SIGNERING_KEYSTORE_PASSPHRASE is not set/],
      [{ SIGNERING_TRUST_ANCHORS: "ca.pem" }, /SIGNERING_CERTIFICATE is not set/],
      [{ ...base, SIGNERING_ENVIRONMENT: "staging-ish" }, /SIGNERING_ENVIRONMENT must be one of/],
      [{ ...base, SIGNERING_ENVIRONMENT: "custom" }, /SIGNERING_API_ROOT is not set/],
      [{ ...base, SAMPLE_PORT: "70000" }, /SAMPLE_PORT must be a port number/],
      [
        { ...base, SIGNERING_SERVER_ORGANIZATION_NUMBER: "98466118" },
        /SIGNERING_SERVER_ORGANIZATION_NUMBER must be 9 digits/,
      ],
    ]
    for (const [env, message] of cases) expect(() => Config.fromEnv(env)).toThrow(message)
  })
})
