/**
 * The reservation's `extra_dhcp_opts` (extra-dhcp-opts.ts) on OFFER and ACK. Unconditional entries
 * first, then `tag:ipxe` / `tag:!ipxe` ones matching the client, so the specific entry wins as in
 * dnsmasq. The bootfile (67) also goes into the `file` field when it fits, for clients that read only it.
 */

import { ZERO_ADDRESS } from '../codec/ipv4.ts';
import { MessageType, Opt } from '../codec/option-codes.ts';
import { translateExtraDhcpOpt } from '../extra-dhcp-opts.ts';
import type { DhcpStep } from '../step.ts';

const FILE_FIELD_CHARS = 127;

export const addExtraDhcpOpts: DhcpStep = (req, reply, net) => {
  const reservation = reply.reservation;
  if (!reservation || (reply.type !== MessageType.Offer && reply.type !== MessageType.Ack)) {
    return { kind: 'continue', reply };
  }
  const translated = reservation.extraDhcpOpts
    .filter((o) => o.ipVersion === 4)
    .map((o) => translateExtraDhcpOpt(o.optName, o.optValue, o.ipVersion))
    .flatMap((r) => (r.ok ? [r.opt] : [])) // the API refused malformed entries; older rows are skipped
    .filter((o) => o.condition === 'always' || (o.condition === 'ipxe') === req.client.isIpxe)
    .sort((a, b) => Number(a.condition !== 'always') - Number(b.condition !== 'always'));
  const options = new Map(reply.options);
  let siaddr = reply.siaddr;
  for (const { effect } of translated) {
    switch (effect.kind) {
      case 'option':
        options.set(effect.code, effect.value);
        break;
      case 'siaddr':
        siaddr = effect.address;
        break;
      case 'suppress':
        options.delete(effect.code);
        break;
      case 'not-sent':
        break;
    }
  }
  const bootfile = options.get(Opt.BootfileName)?.toString('latin1');
  const file = bootfile !== undefined && bootfile.length <= FILE_FIELD_CHARS ? bootfile : reply.file;
  // a bootfile with no next server names a file on this server (dnsmasq's dhcp-boot without an address):
  // each network's attachment then serves its own nodes without per-network options
  if (bootfile !== undefined && siaddr === ZERO_ADDRESS) siaddr = net.serverAddress;
  return { kind: 'continue', reply: { ...reply, options, siaddr, file } };
};
