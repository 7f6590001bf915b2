/**
 * The SSH CLI session reader, without a socket (docs/conventions.md): text from an interactive shell goes in,
 * events come out. It strips terminal escapes and carriage returns, answers pagers, finds the prompt
 * that ends each command, drops the command's echo and checks the output against the profile's errors.
 */

export interface CliPatterns {
  readonly prompt: RegExp;
  readonly errors: readonly RegExp[];
  readonly pager: { readonly prompt: RegExp; readonly answer: string } | null;
}

export type CliEvent =
  /** The device printed a prompt: the command sent last (null for the login banner) is done. */
  | {
      readonly kind: 'reply';
      readonly command: string | null;
      readonly output: string;
      /** The first output line matching an error pattern, or null. */
      readonly error: string | null;
    }
  /** The device is paging; send `answer`. */
  | { readonly kind: 'pager'; readonly answer: string }
  /** The device asks for a password (`enable`, `sudo`). */
  | { readonly kind: 'password' };

/** Matches a password question at the end of the output (`Password:`, `[sudo] password for x:`). */
const PASSWORD_PROMPT = /password(?: for [^:]*)?: ?$/i;

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), charset selection (ESC ( B) and other two-byte escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are control characters
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[@-Z\\^_=>]/g;

/** Removes terminal escape sequences (colours, cursor moves, bracketed-paste toggles). */
export function stripEscapes(text: string): string {
  return text.replace(ESCAPES, '');
}

/**
 * One terminal line at a time: `\r` returns to the column 0 and later characters overwrite (how pagers
 * erase `--More--`), backspace moves left, `\n` ends the line, other control characters are dropped.
 */
class LineBuffer {
  private cells: string[] = [];
  private col = 0;
  readonly done: string[] = [];

  write(text: string): void {
    for (const ch of text) {
      if (ch === '\n') {
        this.done.push(this.current().trimEnd());
        this.cells = [];
        this.col = 0;
      } else if (ch === '\r') {
        this.col = 0;
      } else if (ch === '\b') {
        this.col = Math.max(0, this.col - 1);
      } else if (ch >= ' ' || ch === '\t') {
        this.cells[this.col] = ch;
        this.col += 1;
      }
    }
  }

  current(): string {
    return Array.from(this.cells, (c) => c ?? ' ').join('');
  }

  clearCurrent(): void {
    this.cells = [];
    this.col = 0;
  }

  takeDone(): string[] {
    return this.done.splice(0, this.done.length);
  }
}

export class CliReader {
  private readonly lines = new LineBuffer();
  private pending = '';
  private command: string | null = null;
  private output: string[] = [];

  private readonly patterns: CliPatterns;

  constructor(patterns: CliPatterns) {
    this.patterns = patterns;
  }

  /** Marks that `command` was just written: the next prompt completes it. */
  sent(command: string): void {
    this.command = command;
    this.output = [];
  }

  /** Feeds shell output; returns what happened. */
  push(chunk: string): readonly CliEvent[] {
    // An escape sequence may be split across chunks: keep an unfinished one for the next call.
    const text = this.pending + chunk;
    const cut = unfinishedEscapeAt(text);
    this.pending = text.slice(cut);
    this.lines.write(stripEscapes(text.slice(0, cut)));
    this.output.push(...this.lines.takeDone());

    const events: CliEvent[] = [];
    const tail = this.lines.current();
    const pager = this.patterns.pager;
    if (pager?.prompt.test(tail)) {
      this.lines.clearCurrent();
      events.push({ kind: 'pager', answer: pager.answer });
    } else if (this.patterns.prompt.test(tail)) {
      this.lines.clearCurrent();
      events.push(this.reply());
    } else if (PASSWORD_PROMPT.test(tail)) {
      this.lines.clearCurrent();
      events.push({ kind: 'password' });
    }
    return events;
  }

  private reply(): CliEvent {
    const command = this.command;
    const lines = [...this.output];
    // The device echoes the command as the first line (unless echo is off, as the ovs profile sets it).
    if (command !== null && lines.length > 0 && (lines[0] ?? '').trim() === command.trim()) lines.shift();
    // Blank lines around the output (the newline a shell prints for an unechoed command) carry nothing.
    while (lines.length > 0 && (lines[0] ?? '').trim() === '') lines.shift();
    while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
    const output = lines.join('\n');
    this.command = null;
    this.output = [];
    return { kind: 'reply', command, output, error: firstError(lines, this.patterns.errors) };
  }
}

function firstError(lines: readonly string[], errors: readonly RegExp[]): string | null {
  for (const line of lines) if (errors.some((re) => re.test(line))) return line;
  return null;
}

/** Index where an escape sequence that has not ended yet starts (text.length when none). */
function unfinishedEscapeAt(text: string): number {
  // An OSC (window title) runs until BEL or ESC + backslash; wait for its end unless it is implausibly long.
  const osc = text.lastIndexOf('\x1b]');
  const tail = text.slice(osc);
  if (osc >= 0 && tail.length < 256 && !tail.includes('\x07') && !tail.includes('\x1b\\')) return osc;
  const at = text.lastIndexOf('\x1b');
  if (at < 0) return text.length;
  const rest = text.slice(at);
  const complete = new RegExp(`^(?:${ESCAPES.source})`);
  if (complete.test(rest)) return text.length;
  // ESC then only parameter characters so far: wait for the rest (bounded, so junk cannot stall output).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are control characters
  return rest.length < 64 && /^\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[()])?$/.test(rest) ? at : text.length;
}
