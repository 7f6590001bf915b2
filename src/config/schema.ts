/** The typed, frozen configuration (DESIGN §9). `load.ts` is the only producer. */
import type { VlanRange } from '../domain/vlan-pool.ts';
import type { ProfileName } from '../switch/ssh/profiles/index.ts';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

export interface TokenEntry {
  readonly token: string;
  readonly project: string;
  readonly roles: readonly string[];
}

export type AuthConfig =
  | { readonly mode: 'noauth' }
  | { readonly mode: 'token'; readonly tokens: readonly TokenEntry[] };

export interface OvsdbBridge {
  readonly name: string;
  readonly ovsdb: string;
  /** Network namespace ovs-vswitchd runs in (where its internal ports appear); null: bmnet's own. */
  readonly netns: string | null;
}

export interface PhysnetConfig {
  readonly name: string;
  readonly vlanRanges: readonly VlanRange[];
  readonly bridge: OvsdbBridge | null;
  /** The VLAN that carries this physnet's flat network on its switches (null: flat networks cannot be bound). */
  readonly flatVlan: number | null;
}

export interface NetworkConfig {
  readonly baseMac: string;
  readonly defaultPhysnet: string;
  readonly defaultMtu: number;
  readonly physnets: ReadonlyMap<string, PhysnetConfig>;
}

export type UnboundPolicy = { readonly kind: 'vlan'; readonly vlan: number } | { readonly kind: 'shutdown' };

export type SwitchConnection =
  | { readonly driver: 'ovsdb'; readonly remote: string; readonly bridge: string }
  | {
      readonly driver: 'ssh';
      readonly host: string;
      readonly port: number;
      readonly username: string;
      readonly keyFile: string | null;
      readonly password: string | null;
      readonly profile: ProfileName;
      readonly options: SshOptions;
    };

/** `ssh.options`, typed; the `ovs` profile's keys have their defaults whatever the profile. */
export interface SshOptions {
  /** Answer to the enable prompt (vendors with a privileged mode). */
  readonly enableSecret: string | null;
  /** The switch's host key fingerprint, `SHA256:…`; null accepts any key (logged). */
  readonly hostKeySha256: string | null;
  /** Run the profile's save command after each batch (only profiles that have one). */
  readonly save: boolean;
  /** Close a warm SSH session idle this long; 0: a new session for each batch. */
  readonly idleCloseMs: number;
  readonly ovs: { readonly dbSocket: string; readonly bridge: string; readonly rundir: string };
}

export interface SwitchConfig {
  readonly name: string;
  readonly identities: readonly string[];
  readonly physnets: readonly string[];
  readonly connection: SwitchConnection;
  readonly protectedPorts: readonly string[];
  readonly unbound: UnboundPolicy;
  readonly maxSessions: number;
  readonly batchWindowMs: number;
  /** What a periodic resync does with a difference nobody asked for (a tag changed by hand). */
  readonly drift: 'repair' | 'report';
  /** LAG names: `{n}` is replaced by a number unique on the switch (`bond{n}`, `Port-Channel{n}`). */
  readonly lagNameTemplate: string;
}

export interface ReconcilerConfig {
  readonly resyncSeconds: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
}

/** An inclusive IPv4 range `start-end`. */
export interface AddressRangeConfig {
  readonly start: string;
  readonly end: string;
}

export interface DhcpConfig {
  readonly mode: 'attach' | 'relay' | 'off';
  readonly relayListen: ListenAddress;
  readonly leaseSeconds: number;
  /** Dynamic pools (inspection/discovery) by network name or id; other networks are reservation-only. */
  readonly dynamicPools: ReadonlyMap<string, readonly AddressRangeConfig[]>;
}

/** The per-node iPXE script; URLs and arguments may hold `{node}`, `{mac}`, `{stage}` and `{http}`. */
export type BootScriptConfig =
  | {
      readonly kind: 'kernel';
      readonly kernelUrl: string;
      readonly initrdUrls: readonly string[];
      readonly kernelArgs: readonly string[];
    }
  | { readonly kind: 'chain'; readonly url: string };

export interface BootListenConfig {
  readonly listen: ListenAddress;
  readonly root: string;
}

export interface BootConfig {
  /** Where the boot role serves: each boot network's DHCP attachment, tftp/http `listen`, both, or nowhere. */
  readonly mode: 'off' | 'attach' | 'listen' | 'both';
  readonly attach: 'all' | readonly string[];
  /** Null: no `boot.tftp` section, no TFTP. */
  readonly tftp: BootListenConfig | null;
  /** Null: no `boot.http` section, no HTTP (scripts fetched over TFTP get an empty `{http}`). */
  readonly http: BootListenConfig | null;
  readonly script: BootScriptConfig;
}

export interface ApiConfig {
  readonly maxBodyBytes: number;
  readonly maxPageSize: number;
}

export interface NodesConfig {
  /** Service networks by stage: a network name or id each (null: that stage is not offered). */
  readonly networks: Readonly<Record<'cleaning' | 'provisioning' | 'inspection' | 'rescue', string | null>>;
  /** Defaults for a node's boot settings. */
  readonly boot: {
    readonly mode: 'bios' | 'uefi';
    readonly pxeFileBios: string;
    readonly pxeFileUefi: string;
    /** `{node}` is replaced by the node's name. */
    readonly ipxeScript: string;
    readonly tftpServer: string | null;
  };
  readonly operationTimeoutSeconds: number;
}

export interface Config {
  readonly file: string | null;
  readonly listen: ListenAddress;
  readonly database: DatabaseConfig;
  readonly auth: AuthConfig;
  readonly api: ApiConfig;
  readonly network: NetworkConfig;
  readonly switches: readonly SwitchConfig[];
  readonly reconciler: ReconcilerConfig;
  readonly dhcp: DhcpConfig;
  readonly boot: BootConfig;
  readonly nodes: NodesConfig;
  readonly log: { readonly level: string };
}
