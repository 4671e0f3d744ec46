/**
 * Runs the sample portal against the service the environment variables name (see README.md), until Ctrl-C.
 *
 *   SIGNERING_ENVIRONMENT=difitest SIGNERING_KEYSTORE=virksomhet.p12 SIGNERING_KEYSTORE_PASSPHRASE=… \
 *   SIGNERING_TRUST_ANCHORS=trust/test pnpm start
 */
import * as Config from "./Config.js"
import * as DirectSigning from "./DirectSigning.js"
import * as PortalSigning from "./PortalSigning.js"
import * as Server from "./Server.js"

const main = async () => {
  const config = Config.fromEnv()
  const signing = await DirectSigning.make({ config: config.signing })
  const portal = await PortalSigning.make({ config: config.signing })
  const server = await Server.start({
    host: config.host,
    port: config.port,
    publicUrl: config.publicUrl,
    databasePath: config.databasePath,
    signing,
    portal,
    desk: config.desk,
    log: (line) => console.log(line),
  })
  console.log(`Sample portal: ${server.url}  (database ${config.databasePath})`)
  if (config.desk === undefined) console.log("The sender desk is closed: set SAMPLE_DESK_PASSWORD to open it.")
  const stop = () => {
    console.log("Stopping…")
    void server.close().then(() => process.exit(0))
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : "Could not start")
  process.exit(1)
})
