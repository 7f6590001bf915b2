/**
 * The `ssh` SwitchDriver: a vendor profile renders the ops, one session in config mode runs them, every
 * line's output is checked against the profile's error patterns. Sessions and prompts live in
 * transport.ts and cli.ts; vendor syntax lives in profiles/.
 */
import { SwitchRejected } from '../../domain/errors.ts';
import type { ObservedPorts, SwitchOp } from '../../domain/switch-plan.ts';
import type { SwitchPortName } from '../../domain/values.ts';
import type { Logger } from '../../logging.ts';
import type { SwitchDriver, SwitchIdentity } from '../driver.ts';
import { type DeviceProfile, lagPorts, renderOps } from './profile.ts';
import type { CliReply, CliSession, SshTransport } from './transport.ts';

export interface SshDriverOptions {
  readonly switchName: string;
  readonly identities: readonly SwitchIdentity[];
  /** Persist the configuration after each batch (when the profile can). */
  readonly isSaveEnabled: boolean;
  /** Strings never shown in errors or logs (passwords, enable secrets). */
  readonly secrets: readonly string[];
}

export class SshDriver implements SwitchDriver {
  private readonly profile: DeviceProfile;
  private readonly transport: SshTransport;
  private readonly options: SshDriverOptions;
  private readonly log: Logger;

  constructor(profile: DeviceProfile, transport: SshTransport, options: SshDriverOptions, log: Logger) {
    this.profile = profile;
    this.transport = transport;
    this.options = options;
    this.log = log;
  }

  async identities(): Promise<readonly SwitchIdentity[]> {
    return this.options.identities;
  }

  render(ops: readonly SwitchOp[]): readonly string[] {
    if (ops.length === 0) return [];
    const { profile } = this;
    const save = this.options.isSaveEnabled ? profile.save : [];
    return [...profile.enterConfig, ...renderOps(profile, ops), ...profile.commit, ...profile.exitConfig, ...save];
  }

  async apply(ops: readonly SwitchOp[]): Promise<void> {
    if (ops.length === 0) return;
    const { profile } = this;
    let lines: readonly string[] = [];
    await this.transport.withSession(async (session) => {
      const lags = profile.readsLagsBeforeApply ? lagPorts(ops) : [];
      const before = lags.length > 0 ? await this.readIn(session, lags) : new Map();
      lines = renderOps(profile, ops, before);
      for (const line of profile.enterConfig) await this.runChecked(session, line);
      for (const line of lines) {
        const reply = await session.run(line);
        if (reply.error !== null) {
          await this.abort(session);
          throw this.rejected(reply);
        }
      }
      for (const line of [...profile.commit, ...profile.exitConfig]) await this.runChecked(session, line);
      if (this.options.isSaveEnabled) for (const line of profile.save) await this.runChecked(session, line);
    });
    this.log.info({ switch: this.options.switchName, ops: ops.length, lines: lines.length }, 'switch batch applied');
  }

  async read(ports: readonly SwitchPortName[]): Promise<ObservedPorts> {
    return this.transport.withSession((session) => this.readIn(session, ports));
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private async readIn(session: CliSession, ports: readonly SwitchPortName[]): Promise<ObservedPorts> {
    const { profile } = this;
    const known = ports.filter((p) => profile.portName.test(p));
    const outputs: string[] = [];
    for (const line of profile.readCommand(known)) outputs.push((await this.runChecked(session, line)).output);
    return profile.parsePorts(outputs, ports);
  }

  private async runChecked(session: CliSession, line: string): Promise<CliReply> {
    const reply = await session.run(line);
    if (reply.error !== null) throw this.rejected(reply);
    return reply;
  }

  /** Best effort: leave config mode without committing; the session is closed afterwards anyway. */
  private async abort(session: CliSession): Promise<void> {
    try {
      for (const line of this.profile.abort) await session.run(line);
    } catch (err) {
      this.log.warn({ switch: this.options.switchName, err }, 'leaving config mode after a rejected line failed');
    }
  }

  private rejected(reply: CliReply): SwitchRejected {
    return new SwitchRejected(
      this.options.switchName,
      redact(reply.command, this.options.secrets),
      redact(reply.output, this.options.secrets),
    );
  }
}

/** Replaces every secret in `text` with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret !== '') out = out.split(secret).join('[redacted]');
  return out;
}
