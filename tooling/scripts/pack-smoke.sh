#!/usr/bin/env bash
# Packs every published package as npm would receive it, installs the tarballs into an empty Node project
# (dependencies from the registry), and runs one job creation over mutual TLS against the packed simulator.
# Proves the published `exports`, `files` and dependency ranges work outside the workspace. Needs the registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
pnpm turbo run build --filter='./packages/*' >/dev/null
mkdir -p "$work/tgz"
for p in protocol client node-tls fetch simulator; do
  (cd "packages/$p" && pnpm pack --pack-destination "$work/tgz" >/dev/null)
done
cd "$work"
echo '{ "name": "pack-smoke", "private": true, "type": "module" }' > package.json
npm install --no-audit --no-fund ./tgz/*.tgz >/dev/null
cat > smoke.mjs <<'JS'
import * as P from "@signering/protocol"
import * as C from "@signering/client"
import * as N from "@signering/node-tls"
import * as F from "@signering/fetch"
import * as S from "@signering/simulator"
const sim = await S.Simulator.start({})
const sender = sim.pki.senders[0]
const keystore = P.Keystore.fromPkcs12OrThrow(sender.pkcs12, sender.pkcs12Passphrase)
const job = P.DirectJob.makeOrThrow({
  title: "Packed",
  documents: [{ title: "Doc", bytes: new TextEncoder().encode("%PDF-1.4\n%%EOF\n") }],
  signers: [{ customIdentifier: "s1" }],
  sender: { organizationNumber: sender.organizationNumber },
  exitUrls: { completionUrl: "https://e.no/c", rejectionUrl: "https://e.no/r", errorUrl: "https://e.no/e" },
})
const anchors = sim.pki.caCertificatePem
const client = C.createDirectClient({
  environment: C.Environment.custom({ apiRoot: sim.url, serverOrganizationNumber: "984661185", trustAnchors: anchors }),
  keystore,
  transport: N.NodeTlsTransport.layer({ keystore, trustAnchors: anchors, serverOrganizationNumber: "984661185" }),
})
const created = await client.create(job)
if (typeof F.FetchTransport.layer !== "function") throw new Error("@signering/fetch has no FetchTransport.layer")
console.log(`pack-smoke: job ${created.signatureJobId} created through the packed packages`)
await client.close()
await sim.close()
JS
node smoke.mjs
