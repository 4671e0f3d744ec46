/** The HTML shell of the signer pages. */

export const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")

const css = `
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}
input{font:inherit;padding:.5rem;border:1px solid #999;border-radius:.3rem}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f1ec;color:#1d1d1b}
header{background:#e32d22;color:#fff;padding:1rem 2rem;font-weight:600;letter-spacing:.02em}
main{max-width:46rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 3px #0002}
h1{margin-top:0;font-size:1.6rem}.description{white-space:pre-wrap;color:#444}
ul.documents{padding-left:1.2rem}ul.documents li{margin:.4rem 0}
form{display:inline-block;margin:1.2rem .6rem 0 0}
button{font:inherit;padding:.6rem 1.2rem;border-radius:.3rem;border:1px solid #1d1d1b;background:#fff;cursor:pointer}
button.sign{background:#1d1d1b;color:#fff}.status{padding:.6rem 1rem;background:#f4f1ec;border-radius:.3rem}
footer{max-width:46rem;margin:0 auto 2rem;font-size:.8rem;color:#777}
`

export const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
  `<title>${escapeHtml(title)}</title><style>${css}</style></head><body><header>Signering simulator</header>` +
  `<main>${body}</main><footer>A local simulation of the signing portal. No real signature is made.</footer></body></html>`
