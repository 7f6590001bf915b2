/**
 * Neutron/Ironic `extra_dhcp_opts` → DHCPv4 answers. Accepts the names Ironic and Neutron send
 * (as Ironic sends them, docs/dhcp.md): dnsmasq option names (`bootfile-name`, `tftp-server`,
 * `server-ip-address`…), numeric codes (`67`, `66`, `150`, `255` = siaddr, `60`, any 1-254), and the
 * conditional forms `tag:ipxe,…`, `tag:!ipxe,…` (and `!175,…`). Pure; the API calls
 * `validateExtraDhcpOpt`, the DHCP pipeline `translateExtraDhcpOpt`.
 */
import { InvalidInput } from '../domain/errors.ts';

/** When an option applies: always, only to iPXE (user class `iPXE` or option 175), or only to others. */
export type ExtraOptCondition = 'always' | 'ipxe' | 'not-ipxe';

export type ExtraOptEffect =
  /** Send option `code` with these bytes. */
  | { readonly kind: 'option'; readonly code: number; readonly value: Buffer }
  /** Put the address in the `siaddr` header field (`255` / `server-ip-address`, dnsmasq's pseudo-option). */
  | { readonly kind: 'siaddr'; readonly address: string }
  /** A blank `router` or `classless-static-route`: do not send the subnet's value (Neutron allows only these blank). */
  | { readonly kind: 'suppress'; readonly code: number }
  /** Kept in the port but not sent over DHCPv4: DHCPv6 options, and `client-id` (used to match hosts). */
  | { readonly kind: 'not-sent'; readonly why: string };

export interface TranslatedExtraOpt {
  readonly condition: ExtraOptCondition;
  readonly effect: ExtraOptEffect;
}

export type TranslateResult =
  | { readonly ok: true; readonly opt: TranslatedExtraOpt }
  | { readonly ok: false; readonly message: string };

type ValueType =
  | 'ip'
  | 'ips'
  | 'ip-pairs'
  | 'string'
  | 'u8'
  | 'u16'
  | 'u32'
  | 'i32'
  | 'bool'
  | 'bytes'
  | 'routes'
  | 'domains';

/** DHCPv4 options by code: dnsmasq's name (`dnsmasq --help dhcp`) and value type (RFC 2132 unless noted). */
const OPTIONS = {
  1: ['netmask', 'ip'],
  2: ['time-offset', 'i32'],
  3: ['router', 'ips'],
  6: ['dns-server', 'ips'],
  7: ['log-server', 'ips'],
  9: ['lpr-server', 'ips'],
  12: ['hostname', 'string'],
  13: ['boot-file-size', 'u16'],
  15: ['domain-name', 'string'],
  16: ['swap-server', 'ip'],
  17: ['root-path', 'string'],
  18: ['extension-path', 'string'],
  19: ['ip-forward-enable', 'bool'],
  20: ['non-local-source-routing', 'bool'],
  22: ['max-datagram-reassembly', 'u16'],
  23: ['default-ttl', 'u8'],
  26: ['mtu', 'u16'],
  27: ['all-subnets-local', 'bool'],
  28: ['broadcast', 'ip'],
  31: ['router-discovery', 'bool'],
  32: ['router-solicitation', 'ip'],
  33: ['static-route', 'ip-pairs'],
  34: ['trailer-encapsulation', 'bool'],
  35: ['arp-timeout', 'u32'],
  36: ['ethernet-encap', 'bool'],
  37: ['tcp-ttl', 'u8'],
  38: ['tcp-keepalive', 'u32'],
  40: ['nis-domain', 'string'],
  41: ['nis-server', 'ips'],
  42: ['ntp-server', 'ips'],
  43: ['vendor-encap', 'bytes'],
  44: ['netbios-ns', 'ips'],
  45: ['netbios-dd', 'ips'],
  46: ['netbios-nodetype', 'u8'],
  47: ['netbios-scope', 'string'],
  48: ['x-windows-fs', 'ips'],
  49: ['x-windows-dm', 'ips'],
  60: ['vendor-class', 'string'],
  64: ['nis+-domain', 'string'],
  65: ['nis+-server', 'ips'],
  66: ['tftp-server', 'string'],
  67: ['bootfile-name', 'string'],
  68: ['mobile-ip-home', 'ips'],
  69: ['smtp-server', 'ips'],
  70: ['pop3-server', 'ips'],
  71: ['nntp-server', 'ips'],
  74: ['irc-server', 'ips'],
  77: ['user-class', 'string'],
  93: ['client-arch', 'u16'],
  94: ['client-interface-id', 'bytes'],
  97: ['client-machine-id', 'bytes'],
  /** RFC 3397 */
  119: ['domain-search', 'domains'],
  /** RFC 3442 */
  121: ['classless-static-route', 'routes'],
  /** RFC 5859 */
  150: ['tftp-server-address', 'ips'],
  175: ['ipxe-encap', 'bytes'],
  /** RFC 5071 (PXELINUX) */
  210: ['path-prefix', 'string'],
} as const satisfies Record<number, readonly [string, ValueType]>;

type KnownCode = keyof typeof OPTIONS;

/** Codes the server owns: framing, the exchange itself, or lease timing from config. */
const SERVER_OWNED: Readonly<Record<number, string>> = {
  50: 'the requested address comes from the client',
  51: 'lease times come from the server configuration',
  52: 'option overload is message framing',
  53: 'the message type is the exchange itself',
  54: 'the server identifier is the serving address',
  55: 'the parameter request list comes from the client',
  57: 'the maximum message size comes from the client',
  58: 'lease times come from the server configuration',
  59: 'lease times come from the server configuration (59 is the DHCPv6 bootfile-url only with ip_version 6)',
  82: 'relay agent information belongs to the relay',
};

const BY_NAME: ReadonlyMap<string, number> = new Map(
  Object.entries(OPTIONS).map(([code, [name]]) => [name, Number(code)]),
);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_BYTES = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*$/;
const DOMAIN =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const MAX_NAME = 64; // neutron-lib extra_dhcp_opt: opt_name ≤ 64
const MAX_VALUE = 255; // opt_value ≤ 255

function addressBytes(s: string): Buffer {
  return Buffer.from(s.split('.').map(Number));
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim());
}

type Encoded = Buffer | string; // bytes, or why the value is wrong

function encodeAs(type: ValueType, value: string): Encoded {
  const int = (min: number, max: number, width: number, signed = false): Encoded => {
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) return `a number from ${min} to ${max}`;
    const b = Buffer.alloc(width);
    if (signed) b.writeInt32BE(Number(value));
    else b.writeUIntBE(Number(value), 0, width);
    return b;
  };
  switch (type) {
    case 'ip':
      return IPV4.test(value) ? addressBytes(value) : 'an IPv4 address';
    case 'ips': {
      const parts = list(value);
      return parts.every((p) => IPV4.test(p))
        ? Buffer.concat(parts.map(addressBytes))
        : 'IPv4 addresses separated by commas';
    }
    case 'ip-pairs': {
      const parts = list(value);
      return parts.length % 2 === 0 && parts.every((p) => IPV4.test(p))
        ? Buffer.concat(parts.map(addressBytes))
        : 'pairs of IPv4 addresses (destination,router,…)';
    }
    case 'string':
      return value.length > 0 ? Buffer.from(value, 'utf8') : 'a non-empty string';
    case 'u8':
      return int(0, 0xff, 1);
    case 'u16':
      return int(0, 0xffff, 2);
    case 'u32':
      return int(0, 0xffffffff, 4);
    case 'i32':
      return int(-0x80000000, 0x7fffffff, 4, true);
    case 'bool':
      if (value === '1' || value === 'true') return Buffer.from([1]);
      if (value === '0' || value === 'false') return Buffer.from([0]);
      return '0, 1, true or false';
    case 'bytes':
      if (HEX_BYTES.test(value)) return Buffer.from(value.replace(/:/g, ''), 'hex');
      return value.length > 0 ? Buffer.from(value, 'utf8') : 'hex bytes (01:02:…) or a string';
    case 'routes':
      return encodeRoutes(value);
    case 'domains':
      return encodeDomains(value);
  }
}

/** dnsmasq's form for 121: `dest/len,router,dest/len,router…` (RFC 3442 §3 encoding). */
function encodeRoutes(value: string): Encoded {
  const parts = list(value);
  const want = 'destination/prefix,router pairs separated by commas';
  if (parts.length % 2 !== 0) return want;
  const out: Buffer[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const m = /^([\d.]+)\/(\d{1,2})$/.exec(parts[i] ?? '');
    const router = parts[i + 1] ?? '';
    if (!m?.[1] || !m[2] || !IPV4.test(m[1]) || Number(m[2]) > 32 || !IPV4.test(router)) return want;
    const len = Number(m[2]);
    out.push(Buffer.from([len]), addressBytes(m[1]).subarray(0, Math.ceil(len / 8)), addressBytes(router));
  }
  return Buffer.concat(out);
}

/** RFC 3397 §2: domain names in RFC 1035 label form (no compression). */
function encodeDomains(value: string): Encoded {
  const names = list(value);
  if (!names.every((n) => DOMAIN.test(n))) return 'domain names separated by commas';
  return Buffer.concat(
    names.map((n) =>
      Buffer.concat([
        ...n
          .replace(/\.$/, '')
          .split('.')
          .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')])),
        Buffer.from([0]),
      ]),
    ),
  );
}

/** A code without a type in the table: addresses, hex bytes, a number (1, 2 or 4 bytes, as dnsmasq), or text. */
function encodeGuessed(value: string): Buffer {
  if (list(value).every((p) => IPV4.test(p))) return Buffer.concat(list(value).map(addressBytes));
  if (HEX_BYTES.test(value) && value.includes(':')) return Buffer.from(value.replace(/:/g, ''), 'hex');
  if (/^\d+$/.test(value) && Number(value) <= 0xffffffff) {
    const n = Number(value);
    const width = n <= 0xff ? 1 : n <= 0xffff ? 2 : 4;
    const b = Buffer.alloc(width);
    b.writeUIntBE(n, 0, width);
    return b;
  }
  return Buffer.from(value, 'utf8');
}

function splitCondition(name: string): { condition: ExtraOptCondition; rest: string; v6tag: boolean } | string {
  const tag = /^tag:(!?)([A-Za-z0-9_-]+),(.+)$/.exec(name);
  if (tag) {
    const [, not = '', which = '', rest = ''] = tag;
    if (which === 'ipxe') return { condition: not ? 'not-ipxe' : 'ipxe', rest, v6tag: false };
    if (which === 'ipxe6') return { condition: not ? 'not-ipxe' : 'ipxe', rest, v6tag: true };
    return `tag '${which}' is not known (bmnet knows tag:ipxe, tag:!ipxe, tag:ipxe6, tag:!ipxe6)`;
  }
  // the non-Neutron provider form Ironic uses: `!175,67` = only when option 175 (iPXE) is absent
  const notOpt = /^!175,(.+)$/.exec(name);
  if (notOpt?.[1]) return { condition: 'not-ipxe', rest: notOpt[1], v6tag: false };
  return { condition: 'always', rest: name, v6tag: false };
}

/** Interprets one entry; `ok: false` carries the message the API returns. */
export function translateExtraDhcpOpt(name: string, value: string | null, ipVersion: number): TranslateResult {
  const fail = (why: string): TranslateResult => ({
    ok: false,
    message: `extra_dhcp_opt '${name}'${value === null ? '' : ` = '${value}'`}: ${why}`,
  });
  if (ipVersion !== 4 && ipVersion !== 6) return fail(`ip_version must be 4 or 6, not ${ipVersion}`);
  if (name.length === 0 || name.length > MAX_NAME || /[\r\n]/.test(name))
    return fail(`the name must be one line of 1-${MAX_NAME} characters`);
  const v = value ?? '';
  if (v.length > MAX_VALUE || /[\r\n]/.test(v))
    return fail(`the value must be one line of at most ${MAX_VALUE} characters`);
  const split = splitCondition(name);
  if (typeof split === 'string') return fail(split);
  const { condition, rest } = split;

  if (ipVersion === 6) {
    // DHCPv6 (e.g. `tag:!ipxe6,59` bootfile-url): kept with the port for a DHCPv6 server, not sent over v4
    if (!/^(\d{1,5}|[a-z][a-z0-9+-]*)$/.test(rest)) return fail('not a DHCPv6 option name or number');
    return { ok: true, opt: { condition, effect: { kind: 'not-sent', why: 'a DHCPv6 option' } } };
  }
  if (split.v6tag) return fail('tag:ipxe6 applies to DHCPv6 options (ip_version 6)');

  if (rest === '255' || rest === 'server-ip-address') {
    return IPV4.test(v)
      ? { ok: true, opt: { condition, effect: { kind: 'siaddr', address: v } } }
      : fail('server-ip-address (255) must be an IPv4 address');
  }
  if (rest === '61' || rest === 'client-id') {
    // Neutron's dnsmasq driver uses it to match the host, never sends it (InfiniBand ports)
    return {
      ok: true,
      opt: { condition, effect: { kind: 'not-sent', why: 'the client identifier matches the host' } },
    };
  }
  let code: number;
  if (/^\d{1,3}$/.test(rest)) {
    code = Number(rest);
    if (code < 1 || code > 254) return fail('option numbers are 1-254');
  } else {
    const known = BY_NAME.get(rest.replace(/^option:/, ''));
    if (known === undefined) return fail('not a DHCPv4 option name bmnet knows (see docs/dhcp.md)');
    code = known;
  }
  const owned = SERVER_OWNED[code];
  if (owned !== undefined) return fail(`option ${code} cannot be set: ${owned}`);
  const entry = code in OPTIONS ? OPTIONS[code as KnownCode] : undefined;
  if (v === '') {
    if (code === 3 || code === 121) return { ok: true, opt: { condition, effect: { kind: 'suppress', code } } };
    return fail('only router (3) and classless-static-route (121) may be blank');
  }
  const bytes = entry ? encodeAs(entry[1], v) : encodeGuessed(v);
  if (typeof bytes === 'string') return fail(`the value must be ${bytes}`);
  return { ok: true, opt: { condition, effect: { kind: 'option', code, value: bytes } } };
}

/** For the API: refuses an unknown or malformed entry with InvalidInput (400) naming it. */
export function validateExtraDhcpOpt(name: string, value: string | null, ipVersion: number): TranslatedExtraOpt {
  const r = translateExtraDhcpOpt(name, value, ipVersion);
  if (!r.ok) throw new InvalidInput(r.message);
  return r.opt;
}
