/**
 * How TFTP and HTTP steps are named in the boot trace, which shares its rows with DHCP: the message type
 * is the protocol and the step (`TFTP RRQ`, `TFTP done`, `HTTP GET`, `HTTP refused`…), DHCP's are its
 * message names (`discover`, `ack`…). Pure; the boot role writes these, the API reads the source back.
 */

export type TraceSource = 'dhcp' | 'tftp' | 'http';

/** The message type of a TFTP or HTTP step. */
export function bootMessageType(protocol: 'tftp' | 'http', step: string): string {
  return `${protocol.toUpperCase()} ${step}`;
}

/** Which server a boot-trace row came from, by its message type. */
export function traceSource(messageType: string): TraceSource {
  if (messageType.startsWith('TFTP ')) return 'tftp';
  if (messageType.startsWith('HTTP ')) return 'http';
  return 'dhcp';
}
