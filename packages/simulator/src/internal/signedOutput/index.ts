/**
 * The signed artefacts the simulator hands out: the job's PAdES and each signer's XAdES.
 */
export { makePades, type PadesInput } from "./pades.js"
export { makeSignerXades, type SignerXadesInput } from "./xades.js"
