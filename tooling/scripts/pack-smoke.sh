#!/usr/bin/env bash
# Packs every published package as a release would publish it (the versions `changeset version` would give),
# checks what each tarball holds (tooling/scripts/pack-inspect.mjs), then installs the tarballs into an empty
# Node project (dependencies from the registry) and creates a job over mutual TLS against the packed simulator,
# once with the lowest and once with the newest effect 4 the peer range admits. Needs the npm registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
cd "$root"
mapfile -t pkgs < <(node -e '
  const fs = require("fs")
  for (const d of fs.readdirSync("packages")) {
    const f = `packages/${d}/package.json`
    if (fs.existsSync(f) && !JSON.parse(fs.readFileSync(f, "utf8")).private) console.log(d)
  }')
# Versions as the pending changesets would release them; package.json files are restored on exit.
for p in "${pkgs[@]}"; do cp "packages/$p/package.json" "$work/$p.package.json"; done
restore() {
  for p in "${pkgs[@]}"; do cp "$work/$p.package.json" "$root/packages/$p/package.json"; done
  rm -rf "$work"
}
trap restore EXIT
pnpm exec changeset status --output "$work/status.json" >/dev/null
node -e '
  const fs = require("fs")
  const status = JSON.parse(fs.readFileSync(process.argv[1], "utf8"))
  const next = new Map(status.releases.map((r) => [r.name, r.newVersion]))
  for (const d of process.argv.slice(2)) {
    const f = `packages/${d}/package.json`
    const pkg = JSON.parse(fs.readFileSync(f, "utf8"))
    if (next.has(pkg.name)) pkg.version = next.get(pkg.name)
    fs.writeFileSync(f, JSON.stringify(pkg, null, 2) + "\n")
  }' "$work/status.json" "${pkgs[@]}"
pnpm turbo run build --filter='./packages/*' >/dev/null
mkdir -p "$work/tgz"
for p in "${pkgs[@]}"; do
  (cd "packages/$p" && pnpm pack --pack-destination "$work/tgz" >/dev/null)
done
node tooling/scripts/pack-inspect.mjs "$work/tgz"/*.tgz

cd "$work"
peer=$(node -e 'console.log(require(process.argv[1]).peerDependencies.effect)' "$root/packages/client/package.json")
lowest=$(npm view "effect@$peer" version --json | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v)[0])')
newest=$(npm view "effect@$peer" version --json | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).at(-1))')
echo '{ "name": "pack-smoke", "private": true, "type": "module" }' > package.json
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
for effect in "$lowest" "$newest"; do
  npm install --no-audit --no-fund "effect@$effect" ./tgz/*.tgz >/dev/null
  copies=$(npm ls effect --all --parseable | sort -u | wc -l)
  if [ "$copies" != 1 ]; then
    npm ls effect --all
    echo "pack-smoke: expected one copy of effect, found $copies" >&2
    exit 1
  fi
  echo "pack-smoke: effect $effect (one copy)"
  node smoke.mjs
done
