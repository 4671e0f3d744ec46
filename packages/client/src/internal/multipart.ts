/**
 * The multipart/mixed body of job creation: built by `Endpoint.jobMultipart` in `@signering/protocol` (the
 * endpoints carry it); re-exported here for the client's tests and benchmarks.
 */
import { Endpoint } from "@signering/protocol"

export type Multipart = { readonly contentType: string; readonly body: Uint8Array }

export const randomBoundary = Endpoint.randomBoundary

export const jobMultipart = (xml: string | Uint8Array, zip: Uint8Array, boundary?: string): Multipart => {
  const built = Endpoint.jobMultipart(xml, zip, boundary)
  return { contentType: built.contentType, body: built.bytes }
}
