/** A position in a YAML config (key path and line) that parses its own value or fails naming both. */
import { accessSync, constants, statSync } from 'node:fs';
import { isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type { ListenAddress } from './schema.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A position in the YAML tree: knows its key path and source line for error messages. */
/** `key:` with nothing after it (or only comments) is the key left out. */
function orNull(node: Node | null): Node | null {
  return node !== null && isScalar(node) && node.value === null ? null : node;
}

export class At {
  private readonly ctx: { file: string; lines: LineCounter };
  readonly path: string;
  readonly node: Node | null;
  /** The mapping key this value is under: errors point at its line (a block value starts on the next). */
  private readonly key: Node | null;

  constructor(ctx: { file: string; lines: LineCounter }, path: string, node: Node | null, key: Node | null = null) {
    this.ctx = ctx;
    this.path = path;
    this.node = node;
    this.key = key;
  }

  fail(message: string): never {
    const offset = (this.key ?? this.node)?.range?.[0];
    const line = offset === undefined ? '' : `:${this.ctx.lines.linePos(offset).line}`;
    throw new ConfigError(`${this.ctx.file}${line}: ${this.path || '(top)'}: ${message}`);
  }

  get isPresent(): boolean {
    return this.node !== null && !(isScalar(this.node) && this.node.value === null);
  }

  /** Child of a mapping; unknown keys are refused by `keys()`. */
  get(key: string): At {
    if (this.node !== null && !isMap(this.node)) this.fail('must be a mapping');
    const pair = this.node === null ? undefined : this.node.items.find((p) => isScalar(p.key) && p.key.value === key);
    const child = orNull((pair?.value ?? null) as Node | null);
    return new At(this.ctx, this.path ? `${this.path}.${key}` : key, child, (pair?.key ?? null) as Node | null);
  }

  keys(allowed: readonly string[]): this {
    if (this.node === null) return this;
    if (!isMap(this.node)) this.fail('must be a mapping');
    for (const p of this.node.items) {
      const k = isScalar(p.key) ? String(p.key.value) : '?';
      if (!allowed.includes(k)) {
        new At(this.ctx, this.path ? `${this.path}.${k}` : k, (p.key as Node) ?? null).fail(
          `unknown key (known: ${allowed.join(', ')})`,
        );
      }
    }
    return this;
  }

  entries(): [string, At][] {
    if (this.node === null) return [];
    if (!isMap(this.node)) this.fail('must be a mapping');
    return this.node.items.map((p) => {
      const k = isScalar(p.key) ? String(p.key.value) : '?';
      return [
        k,
        new At(this.ctx, this.path ? `${this.path}.${k}` : k, orNull((p.value as Node) ?? null), p.key as Node),
      ];
    });
  }

  items(): At[] {
    if (this.node === null) return [];
    if (!isSeq(this.node)) this.fail('must be a list');
    return this.node.items.map((n, i) => new At(this.ctx, `${this.path}[${i}]`, (n as Node) ?? null));
  }

  private scalar(): unknown {
    if (this.node === null) return undefined;
    if (!isScalar(this.node)) this.fail('must be a single value');
    return this.node.value;
  }

  string(fallback?: string): string {
    const v = this.scalar();
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail('is required');
    }
    if (typeof v !== 'string' && typeof v !== 'number') this.fail('must be a string');
    return String(v);
  }

  optionalString(): string | null {
    return this.isPresent ? this.string() : null;
  }

  int(fallback: number | undefined, min: number, max: number): number {
    const v = this.scalar();
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.fail('is required');
    }
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
      this.fail(`must be an integer from ${min} to ${max}`);
    return n;
  }

  bool(fallback: boolean): boolean {
    const v = this.scalar();
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail('must be true or false');
    return v;
  }

  oneOf<T extends string>(choices: readonly T[], fallback?: T): T {
    const v = this.string(fallback);
    if (!(choices as readonly string[]).includes(v)) this.fail(`must be one of ${choices.join(', ')} (got '${v}')`);
    return v as T;
  }

  strings(): string[] {
    return this.items().map((i) => i.string());
  }

  listen(fallback: string): ListenAddress {
    const s = this.string(fallback);
    const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(s);
    const port = Number(m?.[3]);
    if (!m || port > 65535) this.fail(`'${s}' is not HOST:PORT`);
    return { host: m[1] ?? m[2] ?? '', port };
  }
}

/** Fails at `at` unless `path` is a folder this process may use as `mode` (fs.constants R_OK, W_OK, X_OK). */
export function checkPath(at: At, path: string, what: string, mode: number): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    at.fail(`${what} ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`);
  }
  if (!isDirectory) at.fail(`${what} ${path} is not a folder`);
  try {
    accessSync(path, mode);
  } catch {
    at.fail(`${what} ${path} is not ${mode & constants.W_OK ? 'writable' : 'readable'} by this user`);
  }
}
