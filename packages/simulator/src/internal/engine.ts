/**
 * The simulated service behind both listeners: state, signed output, observation and faults.
 */
import type { Pki } from "../Pki.js"
import type { Clock } from "./clock.js"
import { Faults } from "./faults.js"
import {
  type Counters,
  emptyCounters,
  RateLimiter,
  type RateLimitOptions,
  RequestLog,
  type RequestLogEntry,
} from "./observe.js"
import type { Urls } from "./responses.js"
import { makePades, makeSignerXades } from "./signedOutput/index.js"
import { type JobRecord, type Outcome, type SignerRecord, State, type StateOptions } from "./state.js"

export interface EngineOptions extends StateOptions {
  readonly pki: Pki
  /** Organizations with API access (else NOT_AUTHORIZED). */
  readonly organizations: ReadonlySet<string>
  /** Broker organization → organizations it may act for. */
  readonly brokers: ReadonlyMap<string, ReadonlySet<string>>
  readonly signingTimeLeniencyMs: number
  readonly rateLimit: RateLimitOptions | undefined
  readonly requestLogLimit: number
  readonly onRequest: ((entry: RequestLogEntry) => void) | undefined
  readonly clock: Clock
}

/** Appends `status_query_token` to an exit URL: `&` when it already has a query, before any fragment. */
export const withStatusQueryToken = (url: string, token: string): string => {
  const hash = url.indexOf("#")
  const base = hash === -1 ? url : url.slice(0, hash)
  const fragment = hash === -1 ? "" : url.slice(hash)
  const sep = base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?"
  return `${base}${sep}status_query_token=${encodeURIComponent(token)}${fragment}`
}

export class Engine {
  readonly state: State
  readonly faults = new Faults()
  readonly log: RequestLog
  readonly counters: Counters = emptyCounters()
  readonly rateLimiter: RateLimiter | undefined
  urls: Urls = { api: "", portal: "" }

  constructor(readonly options: EngineOptions) {
    this.state = new State(options)
    this.log = new RequestLog(options.requestLogLimit, options.onRequest)
    this.rateLimiter = options.rateLimit === undefined ? undefined : new RateLimiter(options.rateLimit)
  }

  /** Where the signer's browser goes after the outcome. */
  exitUrl(job: JobRecord, signer: SignerRecord): string {
    const target =
      signer.status === "SIGNED"
        ? job.exitUrls.completionUrl
        : signer.status === "REJECTED"
          ? job.exitUrls.rejectionUrl
          : job.exitUrls.errorUrl
    return withStatusQueryToken(target, signer.statusQueryToken)
  }

  /**
   * The signer signs, rejects or fails. Signing seals a XAdES with the simulated e-ID first, so the artefacts exist
   * as soon as the status says SIGNED. Undefined when the signer can no longer act.
   */
  async act(job: JobRecord, signer: SignerRecord, outcome: Outcome): Promise<string | undefined> {
    this.state.sweep()
    if (signer.status !== "WAITING" || job.documents === undefined) return undefined
    let xades: string | undefined
    if (outcome === "SIGNED") {
      xades = await makeSignerXades({
        eid: this.options.pki.eid,
        signer: { displayName: signer.displayName, identifier: signer.value },
        documents: job.documents.map((d) => ({ name: d.href, bytes: d.bytes })),
        signedAt: new Date(this.state.now()),
      })
    }
    if (!this.state.finish(job, signer, outcome, xades)) return undefined
    return this.exitUrl(job, signer)
  }

  /** The PAdES of the job as it is now, rebuilt only when the job changed. */
  pades(job: JobRecord): Promise<Uint8Array> {
    const documents = job.documents
    if (documents === undefined) return Promise.reject(new Error("documents deleted"))
    if (job.pades?.version !== job.version) {
      const bytes = makePades({
        title: job.title,
        ...(job.description === undefined ? {} : { description: job.description }),
        documents: documents.map((d) => ({ title: d.title, mediaType: d.mime, bytes: d.bytes })),
        signers: job.signers.map((s) => ({
          displayName: s.displayName,
          identifier: s.value,
          status: s.status,
          ...(s.signedAt === undefined ? {} : { signedAt: new Date(s.signedAt) }),
        })),
        // Like the real PAdES, the file carries a PDF signature a reader can check (here by the simulated e-ID).
        seal: this.options.pki.eid,
      })
      job.pades = { version: job.version, bytes }
      bytes.catch(() => {
        if (job.pades?.bytes === bytes) job.pades = undefined
      })
    }
    return job.pades!.bytes
  }
}
