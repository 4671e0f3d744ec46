import { EffectCopy } from "@signering/protocol"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"

describe("EffectCopy", () => {
  it("accepts the copy every package of this workspace was loaded with", () => {
    expect(() => EffectCopy.register("@signering/test", Effect)).not.toThrow()
  })

  it("fails loudly, naming both packages, when a second copy of effect registers", () => {
    const otherCopy = { ...Effect }
    expect(() => EffectCopy.register("@signering/other", otherCopy)).toThrow(EffectCopy.EffectCopyError)
    expect(() => EffectCopy.register("@signering/other", otherCopy)).toThrow(
      /@signering\/protocol was loaded with one and @signering\/other with another.*npm ls effect/,
    )
  })
})
