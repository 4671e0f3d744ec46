/** The portal desk's page: send a contract to signers who are notified by e-mail in order, and follow each one. */
import { html } from "hono/html"
import type { PollerState } from "./Poller.js"
import type { DeskSession, Job, Session } from "./Store.js"
import { layout, statusBadge } from "./Views.js"

export interface SignerDraft {
  readonly name: string
  readonly pin: string
  readonly email: string
}

const signerFields = (n: number, s: SignerDraft) =>
  html`<fieldset class="card"><legend>Signer ${n}${n === 1 ? " (signs first)" : " (notified after signer 1 has signed)"}</legend>
<div class="row"><div><label for="name${n}">Name</label><input id="name${n}" name="name${n}" required maxlength="60" value="${s.name}"></div>
<div><label for="pin${n}">Personal identification number</label>
<input id="pin${n}" name="pin${n}" required inputmode="numeric" pattern="[0-9]{11}" maxlength="11" value="${s.pin}"></div>
<div><label for="email${n}">E-mail</label><input id="email${n}" name="email${n}" type="email" required maxlength="254" value="${s.email}"></div></div>
</fieldset>`

const jobRow = (j: Job) => {
  const open = j.status === "IN_PROGRESS" && j.cancellationUrl !== undefined
  return html`<tr data-job="${j.id}"><td><a href="/jobs/${j.ref}">#${j.id}</a></td>
<td>${j.signers.map(
    (s) =>
      html`<div data-signer="${s.position}">${s.position}. ${s.name} <span class="muted">${s.email ?? ""}</span> ${statusBadge(s.status)}
<span class="muted">${s.since ? s.since.slice(11, 19) : ""}</span></div>`,
  )}</td>
<td>${statusBadge(j.status)}</td>
<td>${j.hasSignedDocument ? html`<a href="/jobs/${j.ref}/signed.pdf">Signed PDF</a>` : ""}
${open ? html`<form class="inline" method="post" action="/jobs/${j.ref}/cancel"><button type="submit" class="secondary">Cancel job #${j.id}</button></form>` : ""}</td></tr>`
}

export const portalDesk = (input: {
  readonly jobs: ReadonlyArray<Job>
  readonly poller: PollerState & { readonly running: boolean }
  readonly drafts: readonly [SignerDraft, SignerDraft]
  readonly error?: string | undefined
  readonly session?: Session | undefined
  readonly desk?: DeskSession | undefined
}) => {
  const busy = input.jobs.some((j) => j.status === "IN_PROGRESS" || j.status === "CREATING")
  return layout(
    "Portal desk",
    html`<h1>Portal desk: contracts signed in the service's portal</h1>
<p class="muted">Jobs sent from here use the <strong>portal flow</strong>: the signing service e-mails each signer a
link, in order, and they sign in its portal (no return to this app). The app follows every signer through its own
polling queue for portal jobs, stores each change, and only then confirms it.
${busy ? "This page refreshes every 2 seconds while jobs are open." : ""}</p>
${input.error ? html`<div class="notice bad" role="alert">${input.error}</div>` : ""}
<form method="post" action="/portal-desk/send">
${signerFields(1, input.drafts[0])}
${signerFields(2, input.drafts[1])}
<p><button type="submit">Send for signing</button></p>
</form>
<div class="card"><h2>Portal jobs</h2>
<p class="muted" data-poller>Polling worker (portal queue): ${input.poller.running ? "running" : "stopped"}${
      input.poller.lastChange
        ? ` · last change ${input.poller.lastChange.slice(11, 19)} UTC, ${input.poller.lastChange.slice(25)}`
        : ""
    }${input.poller.lastError ? ` · last problem ${input.poller.lastError.slice(11, 19)} UTC: ${input.poller.lastError.slice(25)}` : ""}</p>
${
  input.jobs.length === 0
    ? html`<p>No portal jobs yet.</p>`
    : html`<table><thead><tr><th>Job</th><th>Signers, in order</th><th>Status</th><th></th></tr></thead><tbody>
${input.jobs.map(jobRow)}</tbody></table>`
}</div>`,
    busy
      ? { session: input.session, desk: input.desk, refreshSeconds: 2 }
      : { session: input.session, desk: input.desk },
  )
}
