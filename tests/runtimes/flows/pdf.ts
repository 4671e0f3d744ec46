/** Test documents for the flows. */
import { minimalPdf as simulatorPdf } from "../../../packages/simulator/src/internal/minimalPdf.ts"

// The simulator's one test PDF (it stamps it into the PAdES). Taken from its source file, which imports nothing, as
// HeadlessSigner is: the flows run in Bun, Deno and Node without the simulator's dependencies.
export const minimalPdf = (): Uint8Array => simulatorPdf("Runtime")
