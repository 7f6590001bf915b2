/** Options copied from the request into every reply: client identifier (RFC 6842 §3) and relay agent information (RFC 3046 §2.2). */
import { Opt } from '../codec/option-codes.js';
import type { DhcpRequest } from '../pipeline.js';

export function echoedOptions(req: DhcpRequest): ReadonlyMap<number, Buffer> {
  const out = new Map<number, Buffer>();
  const clientId = req.packet.options.get(Opt.ClientId);
  if (clientId !== undefined) out.set(Opt.ClientId, clientId);
  const relayInfo = req.packet.options.get(Opt.RelayAgentInfo);
  if (relayInfo !== undefined) out.set(Opt.RelayAgentInfo, relayInfo); // last option, byte for byte
  return out;
}
