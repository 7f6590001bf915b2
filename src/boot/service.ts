/**
 * The boot role (DESIGN §6, issue 5 §1): TFTP (`tftp/server.ts`) and HTTP (`http.ts`) on each boot
 * network's DHCP attachment — inside its namespace, on the DHCP port's address, so options 66/67/150 and
 * siaddr name an address the node reaches — and/or on the configured `boot.tftp.listen` /
 * `boot.http.listen`. Both serve the same roots and the per-node iPXE scripts (`ipxe/<node>.ipxe` over
 * TFTP, `/ipxe/<node>.ipxe` over HTTP); every request, completion and failure goes to a `BootTraceSink`.
 */
import { stat } from 'node:fs/promises';
import { Registry } from 'prom-client';
import type { BootConfig, BootScriptConfig } from '../config/schema.js';
import type { DhcpState } from '../dhcp/server.js';
import { type BootTraceEvent, bootMessageType } from '../domain/boot-trace.js';
import type { Node } from '../domain/node.js';
import type { Mac } from '../domain/values.js';
import type { Logger } from '../logging.js';
import { type HttpBootEvent, type HttpBootServer, startHttpBootServer } from './http.js';
import { renderIpxeScript } from './ipxe-script.js';
import { NamespaceSockets } from './netns-sockets.js';
import { ErrorCode } from './tftp/codec.js';
import { startTftpServer, type TftpEvent, type TftpServer } from './tftp/server.js';

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

export interface BootListenerStatus {
  readonly networkId: string | null;
  readonly namespace: string | null;
  readonly tftp: string;
  readonly http: string;
  /** The namespace helper's process id (attachments only). */
  readonly helperPid: number | null;
}

interface Listener {
  readonly key: string;
  readonly networkId: string | null;
  readonly namespace: string | null;
  readonly tftp: TftpServer;
  readonly http: HttpBootServer;
  readonly sockets: NamespaceSockets | null;
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

export class BootService {
  private readonly listeners = new Map<string, Listener>();
  private readonly registry: Registry;
  private readonly now: () => number;
  private running: Promise<void> = Promise.resolve();
  private wanted: readonly BootAttachment[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private isStopped = false;

  private constructor(private readonly o: BootServiceOptions) {
    this.registry = o.registry ?? new Registry();
    this.now = o.now ?? Date.now;
  }

  /** Starts the configured listen addresses (mode `listen` or `both`); attachments come with `sync`. */
  static async start(o: BootServiceOptions): Promise<BootService> {
    const s = new BootService(o);
    const { mode, tftp, http } = o.config;
    if (mode === 'listen' || mode === 'both') {
      const listener = await s.startListener({
        key: 'listen',
        networkId: null,
        namespace: null,
        tftp: { listen: tftp.listen },
        http: { listen: http.listen },
        scriptHost: tftp.listen.host === '0.0.0.0' ? http.listen.host : tftp.listen.host,
        sockets: null,
      });
      s.listeners.set('listen', listener);
    }
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

  status(): BootListenerStatus[] {
    return [...this.listeners.values()].map((l) => ({
      networkId: l.networkId,
      namespace: l.namespace,
      tftp: `${l.tftp.address.address}:${l.tftp.address.port}`,
      http: `${l.http.address.address}:${l.http.address.port}`,
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
    const wanted = new Map<string, BootAttachment>();
    if (mode === 'attach' || mode === 'both') {
      for (const a of this.wanted) {
        if (!(await this.isBootNetwork(a.networkId))) continue;
        const key = await instanceKey(a);
        if (key !== null) wanted.set(key, a);
      }
    }
    for (const l of [...this.listeners.values()]) {
      if (l.key !== 'listen' && !wanted.has(l.key)) await this.stopListener(l);
    }
    let isFailed = false;
    for (const [key, a] of wanted) {
      if (this.listeners.has(key) || this.isStopped) continue;
      try {
        this.listeners.set(key, await this.startAttached(key, a));
      } catch (err) {
        isFailed = true;
        this.o.logger.warn({ networkId: a.networkId, namespace: a.namespace, err }, 'boot listener failed; will retry');
      }
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

  private async startAttached(key: string, a: BootAttachment): Promise<Listener> {
    const address = a.address.split('/')[0] ?? '';
    const sockets = await NamespaceSockets.start(a.namespace);
    try {
      const { tftp, http } = this.o.config;
      const [udp, tcp] = await Promise.allSettled([
        sockets.udp(address, tftp.listen.port),
        sockets.tcp(address, http.listen.port),
      ]);
      if (udp.status === 'rejected' || tcp.status === 'rejected') {
        // The helper's end goes with it, but a socket already handed over is this process's to close.
        if (udp.status === 'fulfilled') udp.value.close();
        if (tcp.status === 'fulfilled') tcp.value.close();
        throw [udp, tcp].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))[0];
      }
      const tftpSocket = udp.value;
      const httpHandle = tcp.value;
      const listener = await this.startListener({
        key,
        networkId: a.networkId,
        namespace: a.namespace,
        tftp: { listen: { socket: tftpSocket }, transferSockets: sockets.transferSockets(address) },
        http: { listen: { handle: httpHandle } },
        scriptHost: address,
        sockets,
      });
      this.o.logger.info(
        { networkId: a.networkId, namespace: a.namespace, address, helperPid: sockets.pid },
        'boot listener serving on the attachment',
      );
      return listener;
    } catch (err) {
      await sockets.close();
      throw err;
    }
  }

  private async startListener(l: {
    key: string;
    networkId: string | null;
    namespace: string | null;
    tftp: Pick<Parameters<typeof startTftpServer>[0], 'listen' | 'transferSockets'>;
    http: Pick<Parameters<typeof startHttpBootServer>[0], 'listen'>;
    scriptHost: string;
    sockets: NamespaceSockets | null;
  }): Promise<Listener> {
    const { config, logger, trace } = this.o;
    const record = (entry: BootTraceEntry) => {
      try {
        trace.record(entry);
      } catch (err) {
        logger.error({ err }, 'boot trace sink failed');
      }
    };
    const http = await startHttpBootServer({
      ...l.http,
      root: config.http.root,
      logger,
      registry: this.registry,
      resolveScript: ({ nodeName, local }) => this.o.script(nodeName, `http://${local.address}:${local.port}`),
      onEvent: (e) => record(httpEntry(e, l.networkId, this.now())),
    }).catch((err: unknown) => {
      // The TFTP server never took its handed-over listen socket: close it here.
      if ('socket' in l.tftp.listen) l.tftp.listen.socket.close();
      throw err;
    });
    const httpBase = `http://${l.scriptHost}:${http.address.port}`;
    try {
      const tftp = await startTftpServer({
        ...l.tftp,
        root: config.tftp.root,
        logger,
        registry: this.registry,
        resolve: async (path) => {
          const m = TFTP_SCRIPT_PATH.exec(path);
          if (m?.[1] === undefined) return { kind: 'root' };
          const text = await this.o.script(m[1], httpBase);
          return text === null
            ? { kind: 'refuse', code: ErrorCode.FileNotFound, message: 'No such node' }
            : { kind: 'content', data: Buffer.from(text, 'utf8') };
        },
        onEvent: (e) => record(tftpEntry(e, l.networkId, this.now())),
      });
      return { key: l.key, networkId: l.networkId, namespace: l.namespace, tftp, http, sockets: l.sockets };
    } catch (err) {
      await http.close();
      throw err;
    }
  }

  private async stopListener(l: Listener): Promise<void> {
    this.listeners.delete(l.key);
    await l.tftp.close();
    await l.http.close();
    await l.sockets?.close();
    this.o.logger.info({ networkId: l.networkId, namespace: l.namespace }, 'boot listener stopped');
  }
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
