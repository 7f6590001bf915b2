/**
 * The socket side of the ssh driver: ssh2 connections with an interactive shell, one CliReader each,
 * a per-command timeout, and a bounded pool of warm sessions per switch (reused, closed when idle).
 * Every connection or session failure becomes SwitchUnreachable.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Client, type ClientChannel } from 'ssh2';
import { SwitchUnreachable } from '../../domain/errors.ts';
import type { Logger } from '../../logging.ts';
import { type CliEvent, type CliPatterns, CliReader } from './cli.ts';

export interface SshTarget {
  readonly switchName: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly auth:
    | { readonly kind: 'key-file'; readonly path: string }
    | { readonly kind: 'password'; readonly password: string };
  /** Answer to the device's password question after `enable` / `sudo`. */
  readonly enableSecret: string | null;
  /** The switch's host key as OpenSSH prints it (`SHA256:…`, `ssh-keygen -lf`); null accepts any key. */
  readonly hostKeySha256: string | null;
}

/** Pool counters, for switch health and benchmarks. */
export interface TransportStats {
  /** Sessions opened since start (a batch of many ports opens at most one). */
  readonly opened: number;
  /** Sessions open now, busy or idle. */
  readonly open: number;
  readonly idle: number;
}

export interface SessionSetup extends CliPatterns {
  /** Sent once per new session (pager off, echo off …). */
  readonly setup: readonly string[];
  /** Privileged mode; a password question is answered with the enable secret. */
  readonly enable: readonly string[];
}

export interface TransportOptions {
  readonly maxSessions: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** A warm session unused this long is closed; 0 closes every session after its batch. */
  readonly idleCloseMs: number;
}

export interface CliReply {
  readonly command: string;
  readonly output: string;
  /** The first output line matching the profile's error patterns, or null. */
  readonly error: string | null;
}

/** An open shell on the switch; `run` sends one line and waits for the prompt after it. */
export interface CliSession {
  run(line: string): Promise<CliReply>;
}

/** Width large enough that the device never wraps a line we send or read. */
const PTY = { term: 'vt100', cols: 4096, rows: 500, modes: { ECHO: 0 } } as const;

class ShellSession implements CliSession {
  private readonly reader: CliReader;
  private waiter: ((e: CliEvent & { kind: 'reply' }) => void) | null = null;
  private failer: ((err: Error) => void) | null = null;
  closedReason: string | null = null;

  private readonly client: Client;
  private readonly channel: ClientChannel;
  private readonly target: SshTarget;
  private readonly commandTimeoutMs: number;

  constructor(
    client: Client,
    channel: ClientChannel,
    target: SshTarget,
    patterns: CliPatterns,
    commandTimeoutMs: number,
  ) {
    this.client = client;
    this.channel = channel;
    this.target = target;
    this.commandTimeoutMs = commandTimeoutMs;
    this.reader = new CliReader(patterns);
    channel.on('data', (chunk: Buffer) => this.onData(chunk.toString('utf8')));
    channel.on('close', () => this.fail('the shell closed'));
    client.on('error', (err: Error) => this.fail(err.message));
    client.on('close', () => this.fail('the connection closed'));
  }

  private onData(text: string): void {
    for (const event of this.reader.push(text)) {
      switch (event.kind) {
        case 'pager':
          this.channel.write(event.answer);
          break;
        case 'password':
          if (this.target.enableSecret === null) this.fail('the switch asked for a password and none is configured');
          else this.channel.write(`${this.target.enableSecret}\n`);
          break;
        case 'reply':
          this.waiter?.(event);
          break;
      }
    }
  }

  private fail(reason: string): void {
    if (this.closedReason === null) this.closedReason = reason;
    this.failer?.(new SwitchUnreachable(this.target.switchName, reason));
  }

  /** Waits for the prompt that follows `line` (null: the first prompt after login). */
  waitReply(line: string | null, timeoutMs: number): Promise<CliReply> {
    return new Promise((resolve, reject) => {
      if (this.closedReason !== null) {
        reject(new SwitchUnreachable(this.target.switchName, this.closedReason));
        return;
      }
      const timer = setTimeout(() => {
        this.fail(line === null ? 'no prompt after login' : `no prompt within ${timeoutMs} ms after '${line}'`);
        this.close();
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiter = null;
        this.failer = null;
      };
      this.waiter = (e) => {
        done();
        resolve({ command: line ?? '', output: e.output, error: e.error });
      };
      this.failer = (err) => {
        done();
        reject(err);
      };
      if (line !== null) {
        this.reader.sent(line);
        this.channel.write(`${line}\n`);
      }
    });
  }

  run(line: string): Promise<CliReply> {
    return this.waitReply(line, this.commandTimeoutMs);
  }

  close(): void {
    if (this.closedReason === null) this.closedReason = 'closed by bmnet';
    this.client.end();
  }
}

interface IdleSession {
  readonly session: ShellSession;
  readonly timer: NodeJS.Timeout;
}

/** A bounded pool of shells on one switch. */
export class SshTransport {
  private readonly idle: IdleSession[] = [];
  private readonly queue: Array<() => void> = [];
  private open = 0;
  private privateKey: Buffer | null = null;
  private isClosed = false;
  private opened = 0;

  private readonly target: SshTarget;
  private readonly setup: SessionSetup;
  private readonly options: TransportOptions;
  private readonly log: Logger;

  constructor(target: SshTarget, setup: SessionSetup, options: TransportOptions, log: Logger) {
    this.target = target;
    this.setup = setup;
    this.options = options;
    this.log = log;
  }

  /** Runs `fn` on a warm or new session; a session whose `fn` threw is closed, not reused. */
  async withSession<T>(fn: (session: CliSession) => Promise<T>): Promise<T> {
    const session = await this.acquire();
    let isHealthy = false;
    try {
      const result = await fn(session);
      isHealthy = true;
      return result;
    } finally {
      this.release(session, isHealthy);
    }
  }

  stats(): TransportStats {
    return { opened: this.opened, open: this.open, idle: this.idle.length };
  }

  async close(): Promise<void> {
    this.isClosed = true;
    for (const { session, timer } of this.idle.splice(0)) {
      clearTimeout(timer);
      session.close();
      this.open -= 1;
    }
  }

  private async acquire(): Promise<ShellSession> {
    for (;;) {
      if (this.isClosed) throw new SwitchUnreachable(this.target.switchName, 'the transport is closed');
      const warm = this.idle.pop();
      if (warm) {
        clearTimeout(warm.timer);
        if (warm.session.closedReason === null) return warm.session;
        this.open -= 1;
        continue;
      }
      if (this.open < this.options.maxSessions) {
        this.open += 1;
        try {
          return await this.connect();
        } catch (err) {
          this.open -= 1;
          this.queue.shift()?.();
          throw err;
        }
      }
      await new Promise<void>((resolve) => this.queue.push(resolve));
    }
  }

  private release(session: ShellSession, isHealthy: boolean): void {
    // idleCloseMs <= 0: no warm sessions, one session per batch (how networking-generic-switch connects).
    if (isHealthy && session.closedReason === null && !this.isClosed && this.options.idleCloseMs > 0) {
      const timer = setTimeout(() => this.closeIdle(session), this.options.idleCloseMs);
      timer.unref();
      this.idle.push({ session, timer });
    } else {
      session.close();
      this.open -= 1;
    }
    this.queue.shift()?.();
  }

  private closeIdle(session: ShellSession): void {
    const at = this.idle.findIndex((i) => i.session === session);
    if (at < 0) return;
    this.idle.splice(at, 1);
    session.close();
    this.open -= 1;
    this.log.debug({ switch: this.target.switchName }, 'idle ssh session closed');
  }

  private async connect(): Promise<ShellSession> {
    const { target } = this;
    const auth =
      target.auth.kind === 'password'
        ? { password: target.auth.password }
        : { privateKey: await this.readKey(target.auth.path) };
    const client = new Client();
    let isHostKeyWrong = false;
    const hostVerifier = (key: Buffer) => {
      if (target.hostKeySha256 === null) return true;
      isHostKeyWrong = openSshFingerprint(key) !== target.hostKeySha256;
      return !isHostKeyWrong;
    };
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      const onError = (err: Error) => {
        const reason = isHostKeyWrong ? `host key is not ${target.hostKeySha256}` : err.message;
        reject(new SwitchUnreachable(target.switchName, reason, { cause: err }));
      };
      client.on('error', onError);
      client.once('ready', () => {
        client.shell(PTY, (err, stream) => {
          client.off('error', onError);
          if (err) {
            client.end();
            reject(new SwitchUnreachable(target.switchName, `no shell: ${err.message}`, { cause: err }));
          } else resolve(stream);
        });
      });
      client.connect({
        host: target.host,
        port: target.port,
        username: target.username,
        readyTimeout: this.options.connectTimeoutMs,
        hostVerifier,
        ...auth,
      });
    });
    this.opened += 1;
    const session = new ShellSession(client, channel, target, this.setup, this.options.commandTimeoutMs);
    try {
      await session.waitReply(null, this.options.connectTimeoutMs);
      for (const line of [...this.setup.setup, ...this.setup.enable]) {
        const reply = await session.run(line);
        if (reply.error !== null) {
          throw new SwitchUnreachable(target.switchName, `session set-up '${line}' failed: ${reply.error}`);
        }
      }
    } catch (err) {
      session.close();
      throw err;
    }
    this.log.debug({ switch: target.switchName }, 'ssh session opened');
    return session;
  }

  private async readKey(path: string): Promise<Buffer> {
    if (this.privateKey === null) {
      try {
        this.privateKey = await readFile(path);
      } catch (err) {
        throw new SwitchUnreachable(this.target.switchName, `cannot read key file ${path}`, { cause: err });
      }
    }
    return this.privateKey;
  }
}

/** OpenSSH's fingerprint of a host key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function openSshFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}
