/** Options copied from the request into every reply: client identifier (RFC 6842 §3) and relay agent information (RFC 3046 §2.2). */
import { Opt } from './codec/option-codes.ts';
import type { DhcpRequest } from './step.ts';

/** Sets the request's options every reply echoes into `options`: 61, then 82 (last, byte for byte). */
export function echoOptions(req: DhcpRequest, options: Map<number, Buffer>): void {
  const clientId = req.packet.options.get(Opt.ClientId);
  if (clientId !== undefined) options.set(Opt.ClientId, clientId);
  const relayInfo = req.packet.options.get(Opt.RelayAgentInfo);
  if (relayInfo !== undefined) options.set(Opt.RelayAgentInfo, relayInfo);
}
