/** Server-rendered pages. Every value goes through hono's `html` template, which escapes it. */
import { html } from "hono/html"
import type { HtmlEscapedString } from "hono/utils/html"
import type { Customer } from "./Customers.js"
import * as Pin from "./Pin.js"
import type { PollerState } from "./Poller.js"
import type { DeskSession, Job, JobEvent, Session, Signer } from "./Store.js"

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

/** The one style sheet, served as `/app.css`: the Content-Security-Policy allows no inline style. */
export const css = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2330;background:#f4f5f7}
header{background:#fff;border-bottom:1px solid #dde1e6}
header .bar{max-width:52rem;margin:0 auto;padding:.8rem 1.2rem;display:flex;gap:1.2rem;align-items:center}
header .brand{font-weight:700;color:#c8102e;text-decoration:none;margin-right:auto}
header a{color:#1c2330}
main{max-width:52rem;margin:1.5rem auto;padding:0 1.2rem}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:1.2rem 1.4rem;margin-bottom:1.2rem}
h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin:0 0 .8rem}
button,.button{display:inline-block;font:inherit;padding:.5rem 1.1rem;border-radius:6px;border:1px solid #c8102e;
background:#c8102e;color:#fff;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#fff;color:#c8102e}
button.link{background:none;border:none;color:#1c2330;text-decoration:underline;padding:0}
form.inline{display:inline}
label{display:block;margin:.6rem 0 .2rem;font-weight:600}
input,textarea,select{font:inherit;padding:.45rem .6rem;border:1px solid #b9c0c8;border-radius:6px;width:100%}
textarea{min-height:6rem}
.row{display:flex;gap:.8rem;flex-wrap:wrap}.row>*{flex:1}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.45rem .4rem;border-bottom:1px solid #eceef1;vertical-align:top}
.badge{display:inline-block;padding:.05rem .55rem;border-radius:99px;font-size:.85rem;font-weight:600;background:#eceef1}
.badge.ok{background:#dff3e4;color:#17663a}.badge.bad{background:#fbe3e4;color:#a1161c}.badge.wait{background:#fff4d6;color:#7a5500}
.notice{padding:.8rem 1rem;border-radius:6px;margin-bottom:1rem}
.notice.ok{background:#dff3e4}.notice.bad{background:#fbe3e4}.notice.wait{background:#fff4d6}
.muted{color:#5c6776;font-size:.9rem}
ul.people{list-style:none;padding:0;margin:0}ul.people li{display:flex;justify-content:space-between;align-items:center;padding:.5rem 0;border-bottom:1px solid #eceef1}
details summary{cursor:pointer;margin:.6rem 0}
code{font-size:.9em}
`

interface LayoutOptions {
  readonly session?: Session | undefined
  readonly desk?: DeskSession | undefined
  readonly refreshSeconds?: number
}

export const layout = (title: string, body: Html, options: LayoutOptions = {}) =>
  html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds !== undefined ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ""}
<title>${title} · Sample AS</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header><div class="bar">
<a class="brand" href="/">Sample AS</a>
<a href="/agreement">My agreement</a>
<a href="/desk">Sender desk</a>
<a href="/portal-desk">Portal desk</a>
${
  options.session
    ? html`<span class="muted">${options.session.name}</span>
<form class="inline" method="post" action="/logout"><button class="link" type="submit">Log out</button></form>`
    : ""
}
${
  options.desk
    ? html`<span class="muted">Sender: ${options.desk.user}</span>
<form class="inline" method="post" action="/desk/logout"><button class="link" type="submit">Leave the desk</button></form>`
    : ""
}
</div></header>
<main>
${body}
</main>
</body>
</html>`

export const statusBadge = (status: string): Html => {
  const tone =
    status === "COMPLETED_SUCCESSFULLY" || status === "SIGNED"
      ? "ok"
      : status === "IN_PROGRESS" || status === "WAITING" || status === "CREATING"
        ? "wait"
        : "bad"
  return html`<span class="badge ${tone}" data-status="${status}">${statusText(status)}</span>`
}

const statusText = (status: string): string => {
  switch (status) {
    case "COMPLETED_SUCCESSFULLY":
      return "Signed"
    case "IN_PROGRESS":
      return "In progress"
    case "FAILED":
      return "Not signed"
    case "CREATING":
      return "Sending"
    case "CREATE_FAILED":
      return "Could not send"
    case "WAITING":
      return "Waiting"
    case "SIGNED":
      return "Signed"
    case "REJECTED":
      return "Rejected"
    case "EXPIRED":
      return "Expired"
    case "NOT_APPLICABLE":
      return "Not needed"
    case "SIGNERS_NAME_NOT_AVAILABLE":
      return "Name not available"
    default:
      return status.replaceAll("_", " ").toLowerCase()
  }
}

export const login = (input: {
  readonly customers: ReadonlyArray<Customer>
  readonly suggestedPin: string
  readonly error?: string | undefined
  readonly name?: string | undefined
}) =>
  layout(
    "Log in",
    html`<h1>Log in to your customer page</h1>
<p class="muted">This is a demo: pick a customer, or type a name and a personal identification number.
Numbers here are synthetic (month + 80) and never belong to a real person.</p>
${input.error ? html`<div class="notice bad" role="alert">${input.error}</div>` : ""}
<div class="card"><h2>Demo customers</h2><ul class="people">
${input.customers.map(
  (c, i) => html`<li><span>${c.name} <span class="muted">${Pin.mask(c.pin)}</span></span>
<form class="inline" method="post" action="/login"><input type="hidden" name="customer" value="${i}">
<button type="submit" class="secondary">Log in as ${c.name}</button></form></li>`,
)}
</ul></div>
<div class="card"><h2>Someone else</h2>
<form method="post" action="/login">
<div class="row"><div><label for="name">Name</label><input id="name" name="name" required maxlength="60" value="${input.name ?? ""}"></div>
<div><label for="pin">Personal identification number</label>
<input id="pin" name="pin" required inputmode="numeric" pattern="[0-9]{11}" maxlength="11" value="${input.suggestedPin}"></div></div>
<p><button type="submit">Log in</button></p>
</form></div>`,
  )

const jobLink = (job: Job) => html`<a href="/jobs/${job.ref}">#${job.id}</a>`

export const agreement = (input: {
  readonly session: Session
  readonly jobs: ReadonlyArray<Job>
  readonly error?: string | undefined
}) => {
  const open = input.jobs.find((j) => j.status === "IN_PROGRESS")
  const signed = input.jobs.find((j) => j.status === "COMPLETED_SUCCESSFULLY")
  return layout(
    "My agreement",
    html`<h1>Hello, ${input.session.name}</h1>
${input.error ? html`<div class="notice bad" role="alert">${input.error}</div>` : ""}
${
  signed
    ? html`<div class="notice ok">Your agreement ${jobLink(signed)} is signed.
${signed.hasSignedDocument ? html`<a href="/jobs/${signed.ref}/signed.pdf">Download the signed PDF</a>` : ""}</div>`
    : ""
}
<div class="card"><h2>Service agreement</h2>
<p>Your agreement with Sample AS is ready. Read it, then sign it electronically with your e-ID.</p>
<p><a href="/agreement.pdf">Read the agreement (PDF)</a></p>
${
  open
    ? html`<div class="notice wait">You have started signing agreement ${jobLink(open)} but not finished.
<form class="inline" method="post" action="/jobs/${open.ref}/continue"><button type="submit" class="secondary">Continue signing</button></form></div>`
    : ""
}
<form method="post" action="/sign">
<details><summary>Add a co-signer (optional)</summary>
<div class="row"><div><label for="coName">Co-signer's name</label><input id="coName" name="coName" maxlength="60"></div>
<div><label for="coPin">Co-signer's personal identification number</label>
<input id="coPin" name="coPin" inputmode="numeric" pattern="[0-9]{11}" maxlength="11"></div></div>
</details>
<p><button type="submit">Sign</button></p>
</form></div>
${input.jobs.length > 0 ? jobTable(input.jobs) : ""}`,
    { session: input.session },
  )
}

const jobTable = (jobs: ReadonlyArray<Job>) =>
  html`<div class="card"><h2>Your signing jobs</h2><table>
<thead><tr><th>Job</th><th>Started</th><th>Signers</th><th>Status</th><th></th></tr></thead><tbody>
${jobs.map(
  (j) => html`<tr><td>${jobLink(j)}</td><td>${j.createdAt.slice(0, 16).replace("T", " ")}</td>
<td>${j.signers.map((s) => s.name).join(", ")}</td><td>${statusBadge(j.status)}</td>
<td>${j.hasSignedDocument ? html`<a href="/jobs/${j.ref}/signed.pdf">Signed PDF</a>` : ""}</td></tr>`,
)}
</tbody></table></div>`

const signerRows = (job: Job, options: { readonly canOpen: (s: Signer) => boolean }) =>
  html`<table><thead><tr><th>Signer</th><th>Status</th><th>Since</th><th></th></tr></thead><tbody>
${job.signers.map(
  (
    s,
  ) => html`<tr data-signer="${s.position}"><td>${s.name} <span class="muted">${Pin.mask(s.pin)}</span></td><td>${statusBadge(s.status)}</td>
<td class="muted">${s.since ? s.since.slice(0, 19).replace("T", " ") : ""}</td>
<td>${
    job.status === "IN_PROGRESS" && s.status === "WAITING" && s.href !== undefined && options.canOpen(s)
      ? html`<form class="inline" method="post" action="/jobs/${job.ref}/signers/${s.position}/redirect">
<button type="submit" class="secondary">Sign as ${s.name}</button></form>`
      : ""
  }</td></tr>`,
)}</tbody></table>`

const outcome = (job: Job) => {
  const statuses = job.signers.map((s) => s.status)
  if (job.status === "COMPLETED_SUCCESSFULLY") {
    return html`<div class="notice ok" data-outcome="signed"><h1>Signed</h1>
<p>Everyone has signed. The signed PDF is stored with us.</p>
${job.hasSignedDocument ? html`<p><a class="button" href="/jobs/${job.ref}/signed.pdf">Download the signed PDF</a></p>` : html`<p>The signed PDF is on its way.</p>`}</div>`
  }
  if (job.status === "FAILED" && statuses.includes("REJECTED")) {
    return html`<div class="notice bad" data-outcome="rejected"><h1>The agreement was rejected</h1>
<p>${job.signers
      .filter((s) => s.status === "REJECTED")
      .map((s) => s.name)
      .join(", ")} chose not to sign. Nothing has been signed.</p>
${tryAgain(job)}</div>`
  }
  if (job.status === "FAILED" && statuses.includes("EXPIRED")) {
    return html`<div class="notice bad" data-outcome="expired"><h1>The signing job expired</h1>
<p>It was not signed in time. Nothing has been signed.</p>${tryAgain(job)}</div>`
  }
  if (job.status === "FAILED") {
    return html`<div class="notice bad" data-outcome="error"><h1>Something went wrong while signing</h1>
<p>The signing service reported an error that was not your fault. Nothing has been signed.</p>${tryAgain(job)}</div>`
  }
  if (job.status === "CREATE_FAILED") {
    return html`<div class="notice bad" data-outcome="not-sent"><h1>We could not start the signing</h1>
<p>${job.lastError ?? "The signing service did not accept the job."}</p>${tryAgain(job)}</div>`
  }
  if (job.flow === "PORTAL" && job.status === "IN_PROGRESS") {
    return html`<div class="notice wait" data-outcome="portal-in-progress"><h1>Waiting for the signers</h1>
<p>The signing service notifies each signer by e-mail in turn; they sign in its portal.</p></div>`
  }
  if (job.status === "IN_PROGRESS" && statuses.includes("SIGNED")) {
    return html`<div class="notice wait" data-outcome="waiting"><h1>Waiting for the other signers</h1>
<p>Your signature is registered. The agreement is signed when everyone has signed.</p></div>`
  }
  return html`<div class="notice wait" data-outcome="in-progress"><h1>Not signed yet</h1>
<p>You can continue signing at any time.</p>${tryAgain(job)}</div>`
}

const tryAgain = (job: Job) =>
  job.flow === "PORTAL"
    ? html`<p><a href="/portal-desk">Send it again from the portal desk</a></p>`
    : html`<form method="post" action="/jobs/${job.ref}/continue"><button type="submit">Try again</button></form>`

export const jobPage = (input: {
  readonly job: Job
  readonly events: ReadonlyArray<JobEvent>
  readonly session?: Session | undefined
  readonly desk?: DeskSession | undefined
  readonly error?: string | undefined
}) => {
  const { job } = input
  return layout(
    `Job #${job.id}`,
    html`${input.error ? html`<div class="notice bad" role="alert">${input.error}</div>` : ""}
${outcome(job)}
<div class="card"><h2>${job.title} · job #${job.id}</h2>
<p class="muted">${job.flow === "POLLING" ? "Status by polling" : "Status on return"}${job.signatureJobId ? ` · service job ${job.signatureJobId}` : ""}
· ${statusBadge(job.status)}</p>
${signerRows(job, { canOpen: () => true })}
<p><a href="/jobs/${job.ref}/contract.pdf">Unsigned agreement (PDF)</a>
${job.hasSignedDocument ? html` · <a href="/jobs/${job.ref}/signed.pdf">Signed PDF</a>` : ""}</p></div>
<div class="card"><h2>What happened</h2><table><tbody>
${input.events.map((e) => html`<tr><td class="muted">${e.at.slice(11, 19)}</td><td>${e.text}</td></tr>`)}
</tbody></table></div>`,
    { session: input.session, desk: input.desk },
  )
}

export const message = (input: {
  readonly title: string
  readonly text: string
  readonly tone: "ok" | "bad" | "wait"
  readonly links?: ReadonlyArray<{ readonly href: string; readonly text: string }>
  readonly session?: Session | undefined
  readonly outcome?: string
}) =>
  layout(
    input.title,
    html`<div class="notice ${input.tone}" data-outcome="${input.outcome ?? input.tone}"><h1>${input.title}</h1><p>${input.text}</p>
${(input.links ?? []).map((l) => html`<p><a href="${l.href}">${l.text}</a></p>`)}</div>`,
    { session: input.session },
  )

export const desk = (input: {
  readonly jobs: ReadonlyArray<Job>
  readonly poller: PollerState & { readonly running: boolean }
  readonly suggestion: string
  readonly error?: string | undefined
  readonly session?: Session | undefined
  readonly desk?: DeskSession | undefined
}) => {
  const busy = input.jobs.some((j) => j.status === "IN_PROGRESS" || j.status === "CREATING")
  return layout(
    "Sender desk",
    html`<h1>Sender desk: contracts by polling</h1>
<p class="muted">Jobs sent from here use <code>POLLING</code>: the app learns about each signature from its polling
queue, stores it, and only then confirms it. ${busy ? "This page refreshes every 2 seconds while jobs are open." : ""}</p>
${input.error ? html`<div class="notice bad" role="alert">${input.error}</div>` : ""}
<div class="card"><h2>Send a contract</h2>
<form method="post" action="/desk/send">
<label for="signers">Signers, one per line: name, personal identification number</label>
<textarea id="signers" name="signers" required>${input.suggestion}</textarea>
<label for="mode">Jobs</label>
<select id="mode" name="mode"><option value="together">One job that everyone signs</option>
<option value="separately">One job for each signer</option></select>
<p><button type="submit">Send</button></p>
</form></div>
<div class="card"><h2>Jobs</h2>
<p class="muted" data-poller>Polling worker: ${input.poller.running ? "running" : "stopped"}${
      input.poller.lastChange
        ? ` · last change ${input.poller.lastChange.slice(11, 19)} UTC, ${input.poller.lastChange.slice(25)}`
        : ""
    }${input.poller.lastError ? ` · last problem ${input.poller.lastError.slice(11, 19)} UTC: ${input.poller.lastError.slice(25)}` : ""}</p>
${
  input.jobs.length === 0
    ? html`<p>No jobs yet.</p>`
    : html`<table><thead><tr><th>Job</th><th>Signers</th><th>Status</th><th></th></tr></thead><tbody>
${input.jobs.map(
  (j) => html`<tr data-job="${j.id}"><td>${jobLink(j)}</td>
<td>${j.signers.map((s) => html`<div>${s.name} ${statusBadge(s.status)}</div>`)}</td>
<td>${statusBadge(j.status)}</td>
<td>${j.hasSignedDocument ? html`<a href="/jobs/${j.ref}/signed.pdf">Signed PDF</a>` : ""}</td></tr>`,
)}</tbody></table>`
}</div>`,
    busy
      ? { session: input.session, desk: input.desk, refreshSeconds: 2 }
      : { session: input.session, desk: input.desk },
  )
}

export const deskLogin = (input: {
  readonly error?: string | undefined
  readonly open: boolean
  readonly session?: Session | undefined
}) =>
  layout(
    "Sender desk login",
    html`<h1>Sender desk</h1>
<p class="muted">The desk sends contracts in the organization's name and shows every signer's progress, so it has its
own login (set <code>SAMPLE_DESK_USER</code> and <code>SAMPLE_DESK_PASSWORD</code>; the demo prints its own).</p>
${input.error ? html`<div class="notice bad" role="alert">${input.error}</div>` : ""}
${
  input.open
    ? html`<div class="card"><form method="post" action="/desk/login">
<div class="row"><div><label for="user">User name</label><input id="user" name="user" required autocomplete="username"></div>
<div><label for="password">Password</label><input id="password" name="password" type="password" required autocomplete="current-password"></div></div>
<p><button type="submit">Log in to the desk</button></p>
</form></div>`
    : html`<div class="notice wait">The desk is closed: no desk password is configured.</div>`
}`,
    { session: input.session },
  )
