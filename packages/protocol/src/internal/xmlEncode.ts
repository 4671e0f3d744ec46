/**
 * Writing side shared by every message encoder: the declaration and root opening the Java client's JAXB
 * marshaller writes, and xs:dateTime formatting.
 */
import { namespace } from "./xmlRead.js"

/** Same declaration as the Java client's JAXB marshaller. */
export const declaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'

/** The declaration and `<root xmlns="…">` with the signering namespace as default namespace. */
export const open = (root: string): string => `${declaration}<${root} xmlns="${namespace}">`

/** xs:dateTime in UTC with milliseconds: `2017-01-23T11:51:43.000Z`. */
export const formatDateTime = (d: Date): string => d.toISOString()
