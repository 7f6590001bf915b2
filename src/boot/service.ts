/**
 * The boot role (DESIGN §6, issue 5 §1): TFTP (`tftp/server.ts`) and HTTP (`http.ts`) on each boot
 * network's DHCP attachment — inside its namespace, on the DHCP port's address, so options 66/67/150 and
 * siaddr name an address the node reaches — and/or on the configured `boot.tftp.listen` /
 * `boot.http.listen`. Both serve the same roots and the per-node iPXE scripts (`ipxe/<node>.ipxe` over
 * TFTP, `/ipxe/<node>.ipxe` over HTTP); every request, completion and failure goes to a `BootTraceSink`.
 */
import { stat } from 'node:fs/promises';
import { Registry } from 'prom-client';
import type { BootConfig, BootScriptConfig } from '../config/schema.ts';
import type { DhcpState } from '../dhcp/server.ts';
import { type BootTraceEvent, bootMessageType } from '../domain/boot-trace.ts';
import type { Node } from '../domain/node.ts';
import type { Mac } from '../domain/values.ts';
import type { Logger } from '../logging.ts';
import { type HttpBootEvent, type HttpBootServer, startHttpBootServer } from './http.ts';
import { renderIpxeScript } from './ipxe-script.ts';
import { NamespaceSockets } from './netns-sockets.ts';
import { ErrorCode } from './tftp/codec.ts';
import { startTftpServer, type TftpEvent, type TftpServer } from './tftp/server.ts';

/** One boot-trace fact from TFTP or HTTP. */
export interface BootTraceEntry {
  /** Wall-clock milliseconds. */
  readonly atMs: number;
  readonly protocol: 'tftp' | 'http';
  readonly kind: 'request' | 'refused' | 'completed' | 'failed';
  /** The network whose attachment served it; null on the configured listen address. */
  readonly networkId: string | null;
  /** The client's IP address (the key to its MAC: its DHCP lease or reservation). */
  readonly client: string;
  /** The file or path as the client asked for it. */
  readonly file: string;
  /** `RRQ`/`WRQ` (TFTP), `GET`/`HEAD` (HTTP). */
  readonly method: string;
  /** Bytes sent (completed, failed). */
  readonly bytes: number | null;
  /** Why it was refused or failed (TFTP error code and message, HTTP status and reason). */
  readonly detail: string | null;
}

export interface BootTraceSink {
  record(entry: BootTraceEntry): void;
}

/** A DHCP attachment as the dhcp role reports it (`AttachmentStatus`). */
export interface BootAttachment {
  readonly networkId: string;
  readonly namespace: string;
  /** `a.b.c.d/n` */
  readonly address: string;
}

export interface BootServiceOptions {
  readonly config: BootConfig;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly trace: BootTraceSink;
  /** The iPXE script of a node for a client that reaches bmnet's HTTP server at `http`; null: no such node. */
  readonly script: (nodeName: string, http: string) => Promise<string | null>;
  /** A network's name, for `boot.attach: [names]` (null: the network is gone). */
  readonly networkName: (networkId: string) => Promise<string | null>;
  /** Wall-clock milliseconds for trace entries (default `Date.now`). */
  readonly now?: () => number;
  /** A failed attachment listener is tried again after this long (default 2000). */
  readonly retryMs?: number;
}

/** One protocol of a listener: serving on `address`, or failed (since `sinceMs`) because of `error`. */
export interface BootProtocolStatus {
  readonly state: 'starting' | 'serving' | 'failed';
  readonly address: string | null;
  readonly error: string | null;
  readonly sinceMs: number | null;
}

export interface BootListenerStatus {
  readonly networkId: string | null;
  readonly namespace: string | null;
  /** Null: not configured (no `boot.tftp` / `boot.http` section). */
  readonly tftp: BootProtocolStatus | null;
  readonly http: BootProtocolStatus | null;
  /** The namespace helper's process id (attachments only). */
  readonly helperPid: number | null;
}

interface Listener {
  readonly key: string;
  readonly networkId: string | null;
  readonly namespace: string | null;
  /** The host `{http}` names in scripts served over TFTP. */
  readonly scriptHost: string;
  sockets: NamespaceSockets | null;
  tftp: Side<TftpServer> | null;
  http: Side<HttpBootServer> | null;
}

/** TFTP path of a node's script: `ipxe/<node name>.ipxe` (normalized: no leading `/`). */
const TFTP_SCRIPT_PATH = /^ipxe\/([^/]+)\.ipxe$/;

/** The script of a node found by name (or id), as `BootServiceOptions.script` wants it. */
export async function nodeScript(
  findNode: (nameOrId: string) => Promise<Node | null>,
  template: BootScriptConfig,
  nodeName: string,
  http: string,
): Promise<string | null> {
  const node = await findNode(nodeName);
  if (node === null) return null;
  const mac = (node.nics.find((n) => n.isPxeEnabled) ?? node.nics[0])?.mac ?? '';
  return renderIpxeScript(template, { node: node.name, mac, stage: node.targetStage ?? node.stage, http });
}

/**
 * A boot-trace entry as a row of the DHCP boot trace (`domain/boot-trace.ts` BootTraceEvent, `GET
 * /v1/boot-trace`): the message type says protocol and step (`bootMessageType`), `bootfile` the file,
 * `address` the client, `detail` the bytes sent and why a request was refused or failed.
 */
export function toDhcpTraceEvent(entry: BootTraceEntry, mac: Mac, networkId: string): BootTraceEvent {
  const step = entry.kind === 'request' ? entry.method : entry.kind === 'completed' ? 'done' : entry.kind;
  return {
    atMs: entry.atMs,
    networkId,
    mac,
    xid: 0,
    messageType: bootMessageType(entry.protocol, step),
    arch: null,
    userClass: null,
    vendorClass: null,
    answer: 'none',
    dropReason: null,
    address: entry.client,
    bootfile: entry.file,
    relay: null,
    relayAgentInfo: null,
    detail: traceDetail(entry),
  };
}

/** `4194304 bytes`, `1024 bytes; timeout` or the refusal, for the trace's detail column. */
function traceDetail(entry: BootTraceEntry): string | null {
  const parts = [entry.bytes === null ? null : `${entry.bytes} bytes`, entry.detail].filter((x) => x !== null);
  return parts.length === 0 ? null : parts.join('; ');
}

/**
 * The sink `main.ts` wires: every entry is logged; one served on an attachment is also stored in the DHCP
 * boot trace under the MAC whose reservation or lease holds the client's address on that network.
 */
export function dhcpTraceSink(state: DhcpState | null, log: Logger): BootTraceSink {
  return {
    record(entry) {
      const { atMs: _at, ...facts } = entry;
      if (entry.kind === 'request') log.debug(facts, 'boot request');
      else log.info(facts, entry.kind === 'completed' ? 'boot file sent' : 'boot request not served');
      const { networkId } = entry;
      if (state === null || networkId === null) return;
      Promise.resolve(state.view({ kind: 'attached', networkId }, entry.client))
        .then((view) => {
          const lease = view?.leases.at(entry.client);
          const mac =
            [...(view?.reservations.values() ?? [])].find((r) => r.ip === entry.client)?.mac ??
            (lease?.state === 'declined' ? undefined : lease?.mac);
          if (mac !== undefined) state.recordTrace(toDhcpTraceEvent(entry, mac, networkId));
        })
        .catch((err: unknown) => log.warn({ err, networkId, client: entry.client }, 'boot trace not recorded'));
    },
  };
}

function tftpEntry(e: TftpEvent, networkId: string | null, atMs: number): BootTraceEntry {
  const method = 'isWrite' in e && e.isWrite === true ? 'WRQ' : 'RRQ';
  const base = { atMs, protocol: 'tftp' as const, networkId, client: e.client.address, file: e.file, method };
  switch (e.kind) {
    case 'request':
      return { ...base, kind: 'request', bytes: null, detail: null };
    case 'refused':
      return { ...base, kind: 'refused', bytes: null, detail: `error ${e.code}: ${e.message}` };
    case 'completed':
      return { ...base, kind: 'completed', bytes: e.bytes, detail: null };
    case 'failed': {
      const r = e.reason;
      return { ...base, kind: 'failed', bytes: e.bytes, detail: 'message' in r ? `${r.kind}: ${r.message}` : r.kind };
    }
  }
}

function httpEntry(e: HttpBootEvent, networkId: string | null, atMs: number): BootTraceEntry {
  const base = { atMs, protocol: 'http' as const, networkId, client: e.client.address, file: e.path, method: e.method };
  switch (e.kind) {
    case 'request':
      return { ...base, kind: 'request', bytes: null, detail: null };
    case 'refused':
      return { ...base, kind: 'refused', bytes: null, detail: `${e.status} ${e.reason}` };
    case 'completed':
      return { ...base, kind: 'completed', bytes: e.bytes, detail: null };
    case 'failed':
      return { ...base, kind: 'failed', bytes: e.bytes, detail: `${e.status} ${e.reason}` };
  }
}

/** What to serve for one listener: the configured listen addresses, or a DHCP attachment's namespace. */
type Target =
  | { readonly kind: 'listen' }
  | { readonly kind: 'attached'; readonly attachment: BootAttachment; readonly address: string };

export class BootService {
  private readonly listeners = new Map<string, Listener>();
  private readonly registry: Registry;
  private readonly now: () => number;
  private running: Promise<void> = Promise.resolve();
  private wanted: readonly BootAttachment[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private isStopped = false;

  private readonly o: BootServiceOptions;

  private constructor(o: BootServiceOptions) {
    this.o = o;
    this.registry = o.registry ?? new Registry();
    this.now = o.now ?? Date.now;
  }

  /**
   * Starts the configured listen addresses (mode `listen` or `both`); attachments come with `sync`. A
   * protocol that cannot start does not stop the other: it shows in `status()` and is tried again.
   */
  static async start(o: BootServiceOptions): Promise<BootService> {
    const s = new BootService(o);
    await s.sync([]);
    return s;
  }

  /**
   * Serves exactly the boot networks among `attachments` (mode `attach` or `both`): starts listeners in
   * new attachments' namespaces, stops those of attachments gone or changed. Calls run one after another.
   */
  sync(attachments: readonly BootAttachment[]): Promise<void> {
    this.wanted = attachments;
    this.running = this.running
      .then(() => this.pass())
      .catch((err: unknown) => this.o.logger.warn({ err }, 'boot listeners not brought up to date'));
    return this.running;
  }

  /** Every listener, serving or not, with each configured protocol's state. */
  status(): BootListenerStatus[] {
    return [...this.listeners.values()].map((l) => ({
      networkId: l.networkId,
      namespace: l.namespace,
      tftp: sideStatus(l.tftp),
      http: sideStatus(l.http),
      helperPid: l.sockets?.pid ?? null,
    }));
  }

  /** Stops every listener and namespace helper. */
  async stop(): Promise<void> {
    this.isStopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.running;
    for (const l of [...this.listeners.values()]) await this.stopListener(l);
  }

  private async pass(): Promise<void> {
    const { mode } = this.o.config;
    if (this.isStopped) return;
    const wanted = new Map<string, Target>();
    if (mode === 'listen' || mode === 'both') wanted.set('listen', { kind: 'listen' });
    if (mode === 'attach' || mode === 'both') {
      for (const a of this.wanted) {
        if (!(await this.isBootNetwork(a.networkId))) continue;
        const key = await instanceKey(a);
        if (key !== null) wanted.set(key, { kind: 'attached', attachment: a, address: a.address.split('/')[0] ?? '' });
      }
    }
    for (const l of [...this.listeners.values()]) {
      if (!wanted.has(l.key)) await this.stopListener(l);
    }
    let isFailed = false;
    for (const [key, target] of wanted) {
      if (this.isStopped) return;
      if (!(await this.bringUp(key, target))) isFailed = true;
    }
    if (isFailed && this.retryTimer === null && !this.isStopped) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        void this.sync(this.wanted);
      }, this.o.retryMs ?? 2000);
      this.retryTimer.unref();
    }
  }

  private async isBootNetwork(networkId: string): Promise<boolean> {
    const { attach } = this.o.config;
    if (attach === 'all') return true;
    if (attach.includes(networkId)) return true;
    const name = await this.o.networkName(networkId);
    return name !== null && attach.includes(name);
  }

  /** Starts what of `key` is not serving yet, TFTP and HTTP each on its own; true when both serve. */
  private async bringUp(key: string, target: Target): Promise<boolean> {
    const { tftp, http } = this.o.config;
    const isAttached = target.kind === 'attached';
    const l: Listener = this.listeners.get(key) ?? {
      key,
      networkId: isAttached ? target.attachment.networkId : null,
      namespace: isAttached ? target.attachment.namespace : null,
      scriptHost: isAttached ? target.address : scriptHostOf(this.o.config),
      sockets: null,
      tftp: tftp === null ? null : { kind: 'starting' },
      http: http === null ? null : { kind: 'starting' },
    };
    this.listeners.set(key, l);
    if (isServing(l.tftp) && isServing(l.http)) return true;
    if (isAttached && l.sockets === null) {
      try {
        l.sockets = await NamespaceSockets.start(target.attachment.namespace);
      } catch (err) {
        for (const protocol of ['tftp', 'http'] as const) this.failed(l, protocol, err);
        return false;
      }
    }
    if (l.http !== null && !isServing(l.http)) await this.startHttp(l, target);
    if (l.tftp !== null && !isServing(l.tftp)) await this.startTftp(l, target);
    const isAllServing = isServing(l.tftp) && isServing(l.http);
    if (!isServing(l.tftp) && !isServing(l.http) && l.sockets !== null) {
      // nothing serves: the helper goes too, and comes back with the retry
      await l.sockets.close();
      l.sockets = null;
    }
    return isAllServing;
  }

  private async startHttp(l: Listener, target: Target): Promise<void> {
    const { config, logger } = this.o;
    if (config.http === null) return;
    try {
      const listen =
        target.kind === 'attached' && l.sockets !== null
          ? { handle: await l.sockets.tcp(target.address, config.http.listen.port) }
          : config.http.listen;
      const server = await startHttpBootServer({
        listen,
        root: config.http.root,
        logger,
        registry: this.registry,
        resolveScript: ({ nodeName, local }) => this.o.script(nodeName, `http://${local.address}:${local.port}`),
        onEvent: (e) => this.record(httpEntry(e, l.networkId, this.now())),
      });
      l.http = { kind: 'serving', server };
      this.logServing(l, 'http', server.address);
    } catch (err) {
      this.failed(l, 'http', err);
    }
  }

  private async startTftp(l: Listener, target: Target): Promise<void> {
    const { config, logger } = this.o;
    if (config.tftp === null) return;
    try {
      const sockets = l.sockets;
      const attached =
        target.kind === 'attached' && sockets !== null
          ? {
              listen: { socket: await sockets.udp(target.address, config.tftp.listen.port) },
              transferSockets: sockets.transferSockets(target.address),
            }
          : { listen: config.tftp.listen };
      const server = await startTftpServer({
        ...attached,
        root: config.tftp.root,
        logger,
        registry: this.registry,
        resolve: async (path) => {
          const m = TFTP_SCRIPT_PATH.exec(path);
          if (m?.[1] === undefined) return { kind: 'root' };
          const text = await this.o.script(m[1], this.httpBase(l));
          return text === null
            ? { kind: 'refuse', code: ErrorCode.FileNotFound, message: 'No such node' }
            : { kind: 'content', data: Buffer.from(text, 'utf8') };
        },
        onEvent: (e) => this.record(tftpEntry(e, l.networkId, this.now())),
      });
      l.tftp = { kind: 'serving', server };
      this.logServing(l, 'tftp', server.address);
    } catch (err) {
      this.failed(l, 'tftp', err);
    }
  }

  /** `{http}` in a script fetched over TFTP: this listener's HTTP server (empty without `boot.http`). */
  private httpBase(l: Listener): string {
    const { http } = this.o.config;
    if (http === null) return '';
    const port = l.http?.kind === 'serving' ? l.http.server.address.port : http.listen.port;
    return `http://${l.scriptHost}:${port}`;
  }

  private logServing(l: Listener, protocol: 'tftp' | 'http', bound: { address: string; port: number }): void {
    this.o.logger.info(
      {
        networkId: l.networkId,
        namespace: l.namespace,
        protocol,
        address: `${bound.address}:${bound.port}`,
        helperPid: l.sockets?.pid ?? null,
      },
      'boot listener serving',
    );
  }

  /** Records a failed start; logged when the reason changes, not on every retry. */
  private failed(l: Listener, protocol: 'tftp' | 'http', err: unknown): void {
    const before = l[protocol];
    if (before === null) return;
    const error = err instanceof Error ? err.message : String(err);
    if (before.kind === 'failed' && before.error === error) return;
    l[protocol] = { kind: 'failed', error, sinceMs: this.now() };
    this.o.logger.warn(
      { networkId: l.networkId, namespace: l.namespace, protocol, err },
      'boot listener cannot start; will retry',
    );
  }

  private record(entry: BootTraceEntry): void {
    try {
      this.o.trace.record(entry);
    } catch (err) {
      this.o.logger.error({ err }, 'boot trace sink failed');
    }
  }

  private async stopListener(l: Listener): Promise<void> {
    this.listeners.delete(l.key);
    if (l.tftp?.kind === 'serving') await l.tftp.server.close();
    if (l.http?.kind === 'serving') await l.http.server.close();
    await l.sockets?.close();
    this.o.logger.info({ networkId: l.networkId, namespace: l.namespace }, 'boot listener stopped');
  }
}

type Side<S> = { readonly kind: 'starting' } | { readonly kind: 'serving'; readonly server: S } | SideFailure;
interface SideFailure {
  readonly kind: 'failed';
  readonly error: string;
  readonly sinceMs: number;
}

function isServing<S>(side: Side<S> | null): boolean {
  return side === null || side.kind === 'serving';
}

function sideStatus(side: Side<TftpServer | HttpBootServer> | null): BootProtocolStatus | null {
  if (side === null) return null;
  switch (side.kind) {
    case 'starting':
      return { state: 'starting', address: null, error: null, sinceMs: null };
    case 'serving':
      return {
        state: 'serving',
        address: `${side.server.address.address}:${side.server.address.port}`,
        error: null,
        sinceMs: null,
      };
    case 'failed':
      return { state: 'failed', address: null, error: side.error, sinceMs: side.sinceMs };
  }
}

/** The host a script fetched over TFTP on the listen address names for HTTP. */
function scriptHostOf(config: BootConfig): string {
  const tftpHost = config.tftp?.listen.host ?? '0.0.0.0';
  return tftpHost === '0.0.0.0' ? (config.http?.listen.host ?? tftpHost) : tftpHost;
}

/**
 * Which attachment instance this is: the dhcp role re-creates an attachment under the same names (a new
 * MTU, subnet or DHCP port), and sockets of the old namespace would serve nothing, so the namespace's
 * inode is part of the key. Null when the namespace is gone (the dhcp role is tearing it down).
 */
async function instanceKey(a: BootAttachment): Promise<string | null> {
  try {
    const st = await stat(`/run/netns/${a.namespace}`);
    return `${a.networkId}|${a.address}|${st.dev}:${st.ino}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
