import { describe, expect, it } from "@effect/vitest"
import * as Protocol from "@signering/protocol"
import { Effect } from "effect"

describe("workspace wiring", () => {
  it.effect("resolves sibling packages from source", () =>
    Effect.sync(() => {
      expect(Protocol.DirectResponse.knownSignerStatuses).toContain("SIGNED")
    }),
  )
})
