/** Reads the YAML config once into a frozen, typed Config; every error names the file, line and key path. */
import { constants, readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { dirname, resolve } from 'node:path';
import { isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { InvalidInput } from '../domain/errors.ts';
import { parseVlanRange } from '../domain/vlan-pool.ts';
import type {
  AddressRangeConfig,
  AuthConfig,
  BootConfig,
  BootScriptConfig,
  Config,
  DatabaseConfig,
  DhcpConfig,
  NetworkConfig,
  NodesConfig,
  PhysnetConfig,
  TokenEntry,
} from './schema.ts';
import { readSwitches } from './switches.ts';
import { At, ConfigError, checkPath } from './yaml-at.ts';

export { ConfigError };

const MAC_BASE_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${(err as Error).message}`);
  }
  return readConfig(text, file, true);
}

/**
 * Parses config text; relative paths (sqlite file, key files, roots) resolve against the file's folder.
 * Unlike `loadConfigFile` it looks at no file the config names, and empty text gives the defaults.
 */
export function parseConfig(text: string, file = '(inline)'): Config {
  return readConfig(text, file, false);
}

/** `isOnHost`: the text is a file's, which must not be empty, and the paths it names are checked here. */
function readConfig(text: string, file: string, isOnHost: boolean): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    // the library fills linePos only for pretty errors; pos is the offset in the text
    const line = lines.linePos(first.pos[0]).line;
    throw new ConfigError(`${file}:${line}: YAML: ${first.message.split('\n')[0]}`);
  }
  if (isOnHost && (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null))) {
    throw new ConfigError(`${file}: the file is empty: a config is a YAML mapping (see bmnet.yaml)`);
  }
  const base = file === '(inline)' ? process.cwd() : dirname(resolve(file));
  const root = new At({ file, lines }, '', (doc.contents as Node | null) ?? null);
  root.keys(['listen', 'database', 'auth', 'api', 'network', 'switches', 'reconciler', 'dhcp', 'boot', 'nodes', 'log']);

  const network = readNetwork(root.get('network'));
  const config: Config = {
    file: file === '(inline)' ? null : resolve(file),
    listen: root.get('listen').listen('127.0.0.1:9696'),
    database: readDatabase(root.get('database'), base, isOnHost),
    auth: readAuth(root.get('auth')),
    api: readApi(root.get('api')),
    network,
    switches: readSwitches(root.get('switches'), network, base),
    reconciler: readReconciler(root.get('reconciler')),
    dhcp: readDhcp(root.get('dhcp')),
    boot: readBoot(root.get('boot'), base, root.get('dhcp'), isOnHost),
    nodes: readNodes(root.get('nodes')),
    log: {
      level: root
        .get('log')
        .keys(['level'])
        .get('level')
        .oneOf(['trace', 'debug', 'info', 'warn', 'error', 'silent'], 'info'),
    },
  };
  return deepFreeze(config);
}

function readDatabase(at: At, base: string, isOnHost: boolean): DatabaseConfig {
  const s = at.string('sqlite:./bmnet.db');
  if (s.startsWith('sqlite:')) {
    const path = s.slice('sqlite:'.length);
    if (!path) at.fail('sqlite: needs a file path (sqlite:./bmnet.db) or sqlite::memory:');
    if (path === ':memory:') return { kind: 'sqlite', path };
    const full = resolve(base, path);
    if (isOnHost) checkPath(at, dirname(full), 'the folder of the SQLite file', constants.W_OK | constants.X_OK);
    return { kind: 'sqlite', path: full };
  }
  if (/^postgres(ql)?:\/\//.test(s)) at.fail('PostgreSQL is not implemented yet in this build: use sqlite:FILE');
  return at.fail(`'${s}' is not sqlite:FILE or postgres://…`);
}

function readAuth(at: At): AuthConfig {
  at.keys(['mode', 'tokens']);
  const mode = at.get('mode').oneOf(['noauth', 'token'], 'noauth');
  if (mode === 'noauth') return { mode };
  const tokens: TokenEntry[] = at
    .get('tokens')
    .items()
    .map((t) => {
      t.keys(['token', 'project', 'roles']);
      return { token: t.get('token').string(), project: t.get('project').string(), roles: t.get('roles').strings() };
    });
  if (tokens.length === 0) at.get('tokens').fail('mode token needs at least one token');
  return { mode, tokens };
}

function readApi(at: At) {
  at.keys(['max_body_bytes', 'max_page_size']);
  return {
    maxBodyBytes: at.get('max_body_bytes').int(1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxPageSize: at.get('max_page_size').int(10_000, 1, 1_000_000),
  };
}

function readNetwork(at: At): NetworkConfig {
  at.keys(['base_mac', 'default_physnet', 'default_mtu', 'physnets']);
  const baseMac = at.get('base_mac').string('fa:16:3e:00:00:00').toLowerCase();
  if (!MAC_BASE_RE.test(baseMac)) at.get('base_mac').fail(`'${baseMac}' is not a MAC address`);
  const physnets = new Map<string, PhysnetConfig>();
  for (const [name, p] of at.get('physnets').entries()) {
    p.keys(['vlan_ranges', 'bridge', 'flat_vlan']);
    const vlanRanges = p
      .get('vlan_ranges')
      .items()
      .map((r) => {
        try {
          return parseVlanRange(r.string());
        } catch (err) {
          return r.fail(err instanceof InvalidInput ? err.detail : String(err));
        }
      });
    const b = p.get('bridge').keys(['name', 'ovsdb', 'netns']);
    const bridge = b.isPresent
      ? { name: b.get('name').string(), ovsdb: b.get('ovsdb').string(), netns: b.get('netns').optionalString() }
      : null;
    const flatVlan = p.get('flat_vlan').isPresent ? p.get('flat_vlan').int(undefined, 2, 4094) : null;
    physnets.set(name, { name, vlanRanges, bridge, flatVlan });
  }
  if (physnets.size === 0) {
    physnets.set('physnet1', {
      name: 'physnet1',
      vlanRanges: [parseVlanRange('1000:1999')],
      bridge: null,
      flatVlan: null,
    });
  }
  const defaultPhysnet = at.get('default_physnet').string([...physnets.keys()][0] ?? 'physnet1');
  if (!physnets.has(defaultPhysnet))
    at.get('default_physnet').fail(`'${defaultPhysnet}' is not one of network.physnets`);
  return { baseMac, defaultPhysnet, defaultMtu: at.get('default_mtu').int(1500, 68, 9216), physnets };
}

function readReconciler(at: At) {
  at.keys(['resync_seconds', 'retry_initial_ms', 'retry_max_ms']);
  return {
    resyncSeconds: at.get('resync_seconds').int(30, 1, 86_400),
    retryInitialMs: at.get('retry_initial_ms').int(200, 10, 600_000),
    retryMaxMs: at.get('retry_max_ms').int(30_000, 10, 3_600_000),
  };
}

const IPV4_RANGE_RE = /^((?:\d{1,3}\.){3}\d{1,3})\s*-\s*((?:\d{1,3}\.){3}\d{1,3})$/;

function readDhcp(at: At): DhcpConfig {
  at.keys(['mode', 'relay_listen', 'lease_seconds', 'dynamic_pools']);
  const dynamicPools = new Map<string, AddressRangeConfig[]>();
  for (const [network, ranges] of at.get('dynamic_pools').entries()) {
    dynamicPools.set(
      network,
      ranges.items().map((r) => {
        const m = IPV4_RANGE_RE.exec(r.string());
        if (!m?.[1] || !m[2] || !isIPv4(m[1]) || !isIPv4(m[2]))
          return r.fail(`'${r.string()}' is not an IPv4 range START-END`);
        if (ipv4Number(m[1]) > ipv4Number(m[2])) r.fail(`'${r.string()}' starts after it ends`);
        return { start: m[1], end: m[2] };
      }),
    );
  }
  const mode = at.get('mode').oneOf(['attach', 'relay', 'off'], 'off');
  const relayListen = at.get('relay_listen').listen('0.0.0.0:67');
  if (mode === 'relay' && relayListen.host === '0.0.0.0') {
    // dhcp/role.ts: the relay listen address is the server identifier (option 54) relays send to
    (at.get('relay_listen').isPresent ? at.get('relay_listen') : at.get('mode')).fail(
      'mode relay needs relay_listen set to the address relays send to (it is the server identifier, option 54), not 0.0.0.0',
    );
  }
  return {
    mode,
    relayListen,
    leaseSeconds: at.get('lease_seconds').int(86_400, 60, 10 * 365 * 86_400),
    dynamicPools,
  };
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function readNodes(at: At): NodesConfig {
  at.keys(['networks', 'boot', 'operation_timeout_seconds']);
  const n = at.get('networks').keys(['cleaning', 'provisioning', 'inspection', 'rescue']);
  const b = at.get('boot').keys(['mode', 'pxe_file_bios', 'pxe_file_uefi', 'ipxe_script', 'tftp_server']);
  const tftpServer = b.get('tftp_server').optionalString();
  // domain/node.ts sends it as options 66 and 150; 150 (RFC 5859) is a list of IPv4 addresses
  if (tftpServer !== null && !isIPv4(tftpServer)) b.get('tftp_server').fail(`'${tftpServer}' is not an IPv4 address`);
  for (const stage of ['cleaning', 'provisioning', 'inspection', 'rescue']) {
    const name = n.get(stage);
    if (name.isPresent && name.string().trim() === '')
      name.fail('is empty: name a network (name or id) or leave it out');
  }
  return {
    networks: {
      cleaning: n.get('cleaning').optionalString(),
      provisioning: n.get('provisioning').optionalString(),
      inspection: n.get('inspection').optionalString(),
      rescue: n.get('rescue').optionalString(),
    },
    boot: {
      mode: b.get('mode').oneOf(['bios', 'uefi'], 'bios'),
      pxeFileBios: b.get('pxe_file_bios').string('undionly.kpxe'),
      pxeFileUefi: b.get('pxe_file_uefi').string('snponly.efi'),
      ipxeScript: b.get('ipxe_script').string('boot.ipxe'),
      tftpServer,
    },
    operationTimeoutSeconds: at.get('operation_timeout_seconds').int(600, 1, 86_400),
  };
}

function readBoot(at: At, base: string, dhcp: At, isOnHost: boolean): BootConfig {
  at.keys(['mode', 'attach', 'tftp', 'http', 'script']);
  const a = at.get('attach');
  const attach = a.node !== null && isSeq(a.node) ? a.strings() : (a.oneOf(['all'], 'all') as 'all');
  const tftp = at.get('tftp').keys(['listen', 'root']);
  const http = at.get('http').keys(['listen', 'root']);
  const sc = at.get('script').keys(['kernel', 'initrd', 'args', 'chain']);
  const isChain = sc.get('chain').isPresent;
  if (isChain && (sc.get('kernel').isPresent || sc.get('initrd').isPresent || sc.get('args').isPresent)) {
    sc.fail('has either chain or kernel/initrd/args, not both');
  }
  const script: BootScriptConfig = isChain
    ? { kind: 'chain', url: sc.get('chain').string() }
    : {
        kind: 'kernel',
        kernelUrl: sc.get('kernel').string('{http}/vmlinuz'),
        initrdUrls: sc.get('initrd').isPresent ? sc.get('initrd').strings() : ['{http}/initrd.gz'],
        // shared/testbed README pitfall 8: under UEFI this iPXE's kernel needs the initrd named
        kernelArgs: sc.get('args').isPresent ? sc.get('args').strings() : ['initrd=initrd.gz'],
      };
  // DESIGN §9: with dhcp.mode attach, boot.attach names the networks whose attachment also serves TFTP/HTTP
  const isAttached = readDhcp(dhcp).mode === 'attach';
  const isServing = tftp.isPresent || http.isPresent;
  const mode = at.get('mode').oneOf(['off', 'attach', 'listen', 'both'], isAttached && isServing ? 'attach' : 'off');
  if ((mode === 'attach' || mode === 'both') && !isAttached) {
    at.get('mode').fail(`'${mode}' serves on the DHCP attachments: it needs dhcp.mode attach`);
  }
  if (mode !== 'off' && !isServing) at.get('mode').fail(`'${mode}' needs boot.tftp or boot.http (or both)`);
  const listener = (section: At, port: number, protocol: string) => {
    if (!section.isPresent) return null;
    const root = section.get('root');
    const path = resolve(base, root.string(`/var/lib/bmnet/${protocol}`));
    if (isOnHost && mode !== 'off') {
      // a missing key has no line of its own: the section's
      checkPath(
        root.isPresent ? root : section,
        path,
        `the ${protocol.toUpperCase()} root`,
        constants.R_OK | constants.X_OK,
      );
    }
    return { listen: section.get('listen').listen(`0.0.0.0:${port}`), root: path };
  };
  return {
    mode,
    attach,
    script,
    tftp: listener(tftp, 69, 'tftp'),
    http: listener(http, 8080, 'http'),
  };
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    const values = v instanceof Map ? [...v.values()] : Object.values(v);
    for (const x of values) deepFreeze(x);
  }
  return v;
}
