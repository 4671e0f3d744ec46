/**
 * Decoding a 10-signer `direct-signature-job-status-response` (as the real service sends it: `ns4:` prefixes,
 * extra namespace declarations) with `DirectXml.decodeJobStatusResponse`, against a bare fast-xml-parser parse
 * of the same bytes in the same run. Goal: at most 1.5× the bare parse.
 */

import { Result } from "effect"
import { XMLParser, XMLValidator } from "fast-xml-parser"
import * as DirectXml from "../src/DirectXml.js"
import { compare, fmt } from "./harness.js"

export const title = "Decode: 10-signer status response"

const tenSignerStatusResponse = (): Uint8Array => {
  const base = "https://api.signering.posten.no/api/983163327/direct/signature-jobs/123456"
  let s =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
    '<ns4:direct-signature-job-status-response xmlns="http://uri.etsi.org/01903/v1.3.2#" xmlns:ns2="http://www.w3.org/2000/09/xmldsig#" ' +
    'xmlns:ns3="http://uri.etsi.org/2918/v1.2.1#" xmlns:ns4="http://signering.posten.no/schema/v1">' +
    "<ns4:reference>ref-2026-11-28</ns4:reference><ns4:signature-job-id>123456</ns4:signature-job-id>" +
    "<ns4:signature-job-status>COMPLETED_SUCCESSFULLY</ns4:signature-job-status>"
  const signers = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? `0101701234${i}` : `kunde-${i}`))
  for (const signer of signers) {
    s += `<ns4:status signer="${signer}" since="2026-11-28T08:0${signers.indexOf(signer) % 10}:43.123+01:00">SIGNED</ns4:status>`
  }
  s += `<ns4:confirmation-url>${base}/complete</ns4:confirmation-url><ns4:delete-documents-url>${base}/delete-documents</ns4:delete-documents-url>`
  signers.forEach((signer, i) => {
    s += `<ns4:xades-url signer="${signer}">${base}/xades/${i + 1}</ns4:xades-url>`
  })
  s += `<ns4:pades-url>${base}/pades</ns4:pades-url></ns4:direct-signature-job-status-response>`
  return new TextEncoder().encode(s)
}

export const run = async (): Promise<string> => {
  const bytes = tenSignerStatusResponse()
  const check = DirectXml.decodeJobStatusResponse(bytes)
  if (Result.isFailure(check) || check.success.signers.filter((s) => s.xadesUrl !== undefined).length !== 10) {
    throw new Error("bench input does not decode as expected")
  }
  const utf8 = new TextDecoder()
  // The options the decoder must use (PROTOCOL: values stay strings, attributes read), nothing else.
  const sameOptions = new XMLParser({ ignoreAttributes: false, parseTagValue: false })
  const defaults = new XMLParser()
  const results = compare([
    ["DirectXml.decodeJobStatusResponse(bytes)", () => DirectXml.decodeJobStatusResponse(bytes)],
    ["bare fast-xml-parser, same options (decode UTF-8 + parse)", () => sameOptions.parse(utf8.decode(bytes))],
    ["bare fast-xml-parser, default options (decode UTF-8 + parse)", () => defaults.parse(utf8.decode(bytes))],
    ["fast-xml-parser XMLValidator.validate alone", () => XMLValidator.validate(utf8.decode(bytes))],
  ])
  const ours = results[0]!.microseconds
  const bare = results[1]!.microseconds
  const ratio = ours / bare
  const lines = [
    `Input: ${bytes.length} bytes, 10 \`status\` + 10 \`xades-url\` with \`signer\`, \`ns4:\` prefixes.`,
    "",
    "| Candidate | median per decode | vs bare (same options) |",
    "|---|---:|---:|",
    ...results.map((r) => `| ${r.name} | ${fmt(r.microseconds)} | ${(r.microseconds / bare).toFixed(2)}× |`),
    "",
    `**Result: ${ratio.toFixed(2)}× the bare parse (goal ≤ 1.5×): ${ratio <= 1.5 ? "met" : "NOT met"}.**`,
  ]
  return lines.join("\n")
}
