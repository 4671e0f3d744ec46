/**
 * `@signering/protocol/server`: the server's side of the messages (response encoders and request decoders),
 * for the simulator or any other implementation of the service. Client code never needs it.
 *
 * @since 0.1.0
 */
export * as DirectServerXml from "./DirectServerXml.js"
export * as PortalServerXml from "./PortalServerXml.js"
