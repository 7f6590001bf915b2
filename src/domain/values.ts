/** Branded value types and their one parser each. */
import { InvalidInput } from './errors.ts';

export type Mac = string & { readonly __brand: 'Mac' };
export type Vlan = number & { readonly __brand: 'Vlan' };
export type Physnet = string & { readonly __brand: 'Physnet' };
/** A switch port or LAG name as the switch spells it (e.g. `Ethernet1/1`, `Port-Channel10`, `eth3`). */
export type SwitchPortName = string & { readonly __brand: 'SwitchPortName' };
export type Uuid = string & { readonly __brand: 'Uuid' };

const MAC_RE = /^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** Accepts `aa:bb:cc:dd:ee:ff`, `aa-bb-…` and `aabbccddeeff`; returns lower-case colon form. */
export function parseMac(s: string): Mac {
  if (!MAC_RE.test(s)) throw new InvalidInput(`'${s}' is not a valid MAC address`);
  const hex = s.replace(/[:-]/g, '').toLowerCase();
  return (hex.match(/../g) ?? []).join(':') as Mac;
}

export function isMac(s: string): boolean {
  return MAC_RE.test(s);
}

export function macToBytes(mac: Mac): Buffer {
  return Buffer.from(mac.replace(/:/g, ''), 'hex');
}

const HEX_OCTETS = Array.from({ length: 256 }, (_, x) => x.toString(16).padStart(2, '0'));

/** The first six bytes as a MAC (every DHCP packet's chaddr goes through here). */
export function macFromBytes(b: Uint8Array): Mac {
  // no helper closure: this runs for every DHCP packet
  const h = HEX_OCTETS;
  return `${h[b[0] ?? 0]}:${h[b[1] ?? 0]}:${h[b[2] ?? 0]}:${h[b[3] ?? 0]}:${h[b[4] ?? 0]}:${h[b[5] ?? 0]}` as Mac;
}

export function parseVlan(n: number): Vlan {
  if (!Number.isInteger(n) || n < 1 || n > 4094) throw new InvalidInput(`VLAN ${n} is outside 1-4094`);
  return n as Vlan;
}

const PHYSNET_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
export function parsePhysnet(s: string): Physnet {
  if (!PHYSNET_RE.test(s)) throw new InvalidInput(`'${s}' is not a valid physical network name`);
  return s as Physnet;
}

/** Switch port names as vendors write them: letters, digits, `/ . : _ -`; nothing a shell or CLI would interpret. */
const SWITCH_PORT_RE = /^[A-Za-z0-9][A-Za-z0-9/._:-]{0,63}$/;
export function parseSwitchPortName(s: string): SwitchPortName {
  if (!SWITCH_PORT_RE.test(s)) throw new InvalidInput(`'${s}' is not a valid switch port name`);
  return s as SwitchPortName;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s: string): s is Uuid {
  return UUID_RE.test(s);
}
export function parseUuid(s: string, what = 'id'): Uuid {
  if (!isUuid(s)) throw new InvalidInput(`'${s}' is not a valid UUID for ${what}`);
  return s.toLowerCase() as Uuid;
}
