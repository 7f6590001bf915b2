/**
 * OVSDB management protocol (RFC 7047) without a socket: JSON-RPC 1.0 framing of concatenated JSON texts,
 * message decoding, request/response correlation, `transact` operation builders and the encoding of OVSDB
 * values (sets, maps, uuids). Bytes or messages in, bytes or messages out.
 */

/** A JSON value as JSON.parse returns it. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** RFC 7047 §4.1: the JSON-RPC methods bmnet uses. */
export const Method = {
  ListDbs: 'list_dbs', // §4.1.1
  GetSchema: 'get_schema', // §4.1.2
  Transact: 'transact', // §4.1.3
  Echo: 'echo', // §4.1.11
} as const;

/** RFC 7047 §5.2: operations of a `transact` request. */
export const Op = {
  Insert: 'insert', // §5.2.1
  Select: 'select', // §5.2.2
  Update: 'update', // §5.2.3
  Mutate: 'mutate', // §5.2.4
  Delete: 'delete', // §5.2.5
  Wait: 'wait', // §5.2.6
  Comment: 'comment', // §5.2.8
} as const;

// ---------------------------------------------------------------------------------------------- framing

/** Why a byte stream could not be split into JSON texts; the connection cannot be trusted after one. */
export type FramingFailure =
  | { readonly kind: 'not-json'; readonly detail: string }
  | { readonly kind: 'unexpected-byte'; readonly byte: string }
  | { readonly kind: 'too-large'; readonly limitBytes: number };

export type FrameResult =
  | { readonly ok: true; readonly values: readonly unknown[] }
  | { readonly ok: false; readonly values: readonly unknown[]; readonly reason: FramingFailure };

const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * RFC 7047 §4: messages are JSON objects sent back to back with no delimiter. The reader tracks nesting
 * depth outside strings to find where each object ends, so a chunk may hold part of one message or several.
 * After a failure it stays failed (the caller closes the connection).
 */
export class JsonStreamReader {
  readonly #decoder = new TextDecoder('utf-8', { fatal: false });
  readonly #maxMessageBytes: number;
  #buffer = '';
  /** Index in `#buffer` up to which the current message has been scanned. */
  #scanned = 0;
  #depth = 0;
  #isInString = false;
  #isEscaped = false;
  #failure: FramingFailure | null = null;

  constructor(options: { maxMessageBytes?: number } = {}) {
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  push(chunk: Uint8Array | string): FrameResult {
    if (this.#failure !== null) return { ok: false, values: [], reason: this.#failure };
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    const values: unknown[] = [];
    let i = this.#scanned;
    while (i < this.#buffer.length) {
      const c = this.#buffer[i];
      if (this.#depth === 0) {
        if (c === ' ' || c === '\n' || c === '\r' || c === '\t') {
          this.#buffer = this.#buffer.slice(i + 1);
          i = 0;
          continue;
        }
        if (c !== '{' && c !== '[') return this.#fail(values, { kind: 'unexpected-byte', byte: c ?? '' });
        this.#depth = 1;
        i += 1;
        continue;
      }
      if (this.#isInString) {
        if (this.#isEscaped) this.#isEscaped = false;
        else if (c === '\\') this.#isEscaped = true;
        else if (c === '"') this.#isInString = false;
      } else if (c === '"') {
        this.#isInString = true;
      } else if (c === '{' || c === '[') {
        this.#depth += 1;
      } else if (c === '}' || c === ']') {
        this.#depth -= 1;
        if (this.#depth === 0) {
          const text = this.#buffer.slice(0, i + 1);
          this.#buffer = this.#buffer.slice(i + 1);
          i = 0;
          try {
            values.push(JSON.parse(text));
          } catch (err) {
            return this.#fail(values, { kind: 'not-json', detail: err instanceof Error ? err.message : String(err) });
          }
          continue;
        }
      }
      i += 1;
    }
    this.#scanned = i;
    // UTF-16 units bound the UTF-8 size from below; three bytes per unit bounds it from above
    if (this.#buffer.length > this.#maxMessageBytes) {
      return this.#fail(values, { kind: 'too-large', limitBytes: this.#maxMessageBytes });
    }
    return { ok: true, values };
  }

  #fail(values: unknown[], reason: FramingFailure): FrameResult {
    this.#failure = reason;
    this.#buffer = '';
    return { ok: false, values, reason };
  }
}

// --------------------------------------------------------------------------------------------- messages

export type RpcId = number | string;

/** RFC 7047 §4: what the server may send. */
export type IncomingMessage =
  | { readonly kind: 'response'; readonly id: RpcId; readonly result: unknown; readonly error: unknown }
  | { readonly kind: 'request'; readonly id: RpcId; readonly method: string; readonly params: readonly unknown[] }
  | { readonly kind: 'notification'; readonly method: string; readonly params: readonly unknown[] };

export type DecodeResult =
  | { readonly ok: true; readonly message: IncomingMessage }
  | { readonly ok: false; readonly reason: string };

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isRpcId(v: unknown): v is RpcId {
  return typeof v === 'number' || typeof v === 'string';
}

/** Classifies one JSON value from the stream as a JSON-RPC 1.0 response, request or notification. */
export function decodeMessage(value: unknown): DecodeResult {
  if (!isRecord(value)) return { ok: false, reason: 'message is not a JSON object' };
  const { id, method, params } = value;
  if (typeof method === 'string') {
    if (!Array.isArray(params)) return { ok: false, reason: `'${method}' has no params array` };
    if (id === null || id === undefined) return { ok: true, message: { kind: 'notification', method, params } };
    if (!isRpcId(id)) return { ok: false, reason: `'${method}' has an id that is neither number nor string` };
    return { ok: true, message: { kind: 'request', id, method, params } };
  }
  if ('result' in value || 'error' in value) {
    if (!isRpcId(id)) return { ok: false, reason: 'response has an id that is neither number nor string' };
    return { ok: true, message: { kind: 'response', id, result: value.result ?? null, error: value.error ?? null } };
  }
  return { ok: false, reason: 'message is neither a request nor a response' };
}

export function encodeRequest(id: RpcId, method: string, params: readonly Json[]): string {
  return JSON.stringify({ method, params, id });
}

/**
 * The reply to a request the server sent. RFC 7047 §4.1.11: `echo` returns its params; any other method is
 * answered with an error, as a client offers no other methods.
 */
export function answerRequest(request: {
  readonly id: RpcId;
  readonly method: string;
  readonly params: readonly unknown[];
}): string {
  if (request.method === Method.Echo) return JSON.stringify({ id: request.id, result: request.params, error: null });
  return JSON.stringify({ id: request.id, result: null, error: `unknown method ${request.method}` });
}

/** Tracks requests in flight: ids are allocated here and each response is matched to its request once. */
export class Correlator<T> {
  #nextId = 1;
  readonly #pending = new Map<RpcId, T>();

  /** Allocates an id for a new request and remembers `context` for its response. */
  open(context: T): number {
    const id = this.#nextId;
    this.#nextId += 1;
    this.#pending.set(id, context);
    return id;
  }

  /** The context of the request this response answers, or null for an unknown or repeated id. */
  settle(id: RpcId): T | null {
    const context = this.#pending.get(id);
    if (context === undefined) return null;
    this.#pending.delete(id);
    return context;
  }

  /** Every request still in flight; afterwards none is. */
  drain(): T[] {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    return all;
  }

  get size(): number {
    return this.#pending.size;
  }
}

// ------------------------------------------------------------------------------------------------ values

/** RFC 7047 §5.1 <atom> and <value> notation. */
export type Atom = string | number | boolean | readonly ['uuid', string] | readonly ['named-uuid', string];
export type OvsdbValue =
  | Atom
  | readonly ['set', readonly Atom[]]
  | readonly ['map', readonly (readonly [Atom, Atom])[]];

export const uuid = (id: string): readonly ['uuid', string] => ['uuid', id];
export const namedUuid = (name: string): readonly ['named-uuid', string] => ['named-uuid', name];
export const ovsSet = (atoms: readonly Atom[]): readonly ['set', readonly Atom[]] => ['set', atoms];
export const ovsMap = (
  entries: Iterable<readonly [string, string]>,
): readonly ['map', readonly (readonly [Atom, Atom])[]] => ['map', [...entries]];
/** An optional column (min 0, max 1) holding `atom`, or nothing. */
export const optional = (atom: Atom | null): OvsdbValue => (atom === null ? ovsSet([]) : atom);

/** RFC 7047 §5.1: a set of one element may be sent as the bare atom, so both forms are read. */
export function decodeSet(value: unknown): readonly unknown[] {
  if (Array.isArray(value) && value[0] === 'set' && Array.isArray(value[1])) return value[1];
  return [value];
}

/** `["map", [[k, v], …]]` with string keys and values; anything else gives an empty map. */
export function decodeStringMap(value: unknown): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(value) || value[0] !== 'map' || !Array.isArray(value[1])) return out;
  for (const pair of value[1]) {
    if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') out.set(pair[0], pair[1]);
  }
  return out;
}

/** `["uuid", "…"]` → the uuid string, else null. */
export function decodeUuid(value: unknown): string | null {
  return Array.isArray(value) && value[0] === 'uuid' && typeof value[1] === 'string' ? value[1] : null;
}

/** An optional string column: the string, or null for `["set", []]`. */
export function decodeOptionalString(value: unknown): string | null {
  const [first] = decodeSet(value);
  return typeof first === 'string' ? first : null;
}

/** An optional integer column: the number, or null for `["set", []]`. */
export function decodeOptionalInteger(value: unknown): number | null {
  const [first] = decodeSet(value);
  return typeof first === 'number' && Number.isInteger(first) ? first : null;
}

export function decodeIntegerSet(value: unknown): number[] {
  return decodeSet(value).filter((v): v is number => typeof v === 'number' && Number.isInteger(v));
}

export function decodeUuidSet(value: unknown): string[] {
  return decodeSet(value)
    .map(decodeUuid)
    .filter((v): v is string => v !== null);
}

// ------------------------------------------------------------------------------------ transact operations

/** RFC 7047 §5.1 <condition>; the ordering functions apply to integer and real columns only. */
export type Condition = readonly [
  column: string,
  fn: '==' | '!=' | 'includes' | 'excludes' | '<' | '<=' | '>=' | '>',
  value: OvsdbValue,
];
export type Mutation = readonly [column: string, mutator: 'insert' | 'delete' | '+=' | '-=', value: OvsdbValue];
export type Row = Readonly<Record<string, OvsdbValue>>;

export type TransactOp =
  | { readonly op: 'insert'; readonly table: string; readonly row: Row; readonly 'uuid-name'?: string }
  | {
      readonly op: 'select';
      readonly table: string;
      readonly where: readonly Condition[];
      readonly columns?: readonly string[];
    }
  | { readonly op: 'update'; readonly table: string; readonly where: readonly Condition[]; readonly row: Row }
  | {
      readonly op: 'mutate';
      readonly table: string;
      readonly where: readonly Condition[];
      readonly mutations: readonly Mutation[];
    }
  | { readonly op: 'delete'; readonly table: string; readonly where: readonly Condition[] }
  | {
      readonly op: 'wait';
      readonly table: string;
      readonly where: readonly Condition[];
      readonly columns: readonly string[];
      readonly until: '==' | '!=';
      readonly rows: readonly Row[];
      readonly timeout: number;
    }
  | { readonly op: 'comment'; readonly comment: string };

export const insert = (table: string, row: Row, uuidName?: string): TransactOp =>
  uuidName === undefined ? { op: Op.Insert, table, row } : { op: Op.Insert, table, row, 'uuid-name': uuidName };
export const select = (table: string, where: readonly Condition[], columns?: readonly string[]): TransactOp =>
  columns === undefined ? { op: Op.Select, table, where } : { op: Op.Select, table, where, columns };
export const update = (table: string, where: readonly Condition[], row: Row): TransactOp => ({
  op: Op.Update,
  table,
  where,
  row,
});
export const mutate = (table: string, where: readonly Condition[], mutations: readonly Mutation[]): TransactOp => ({
  op: Op.Mutate,
  table,
  where,
  mutations,
});
export const deleteRows = (table: string, where: readonly Condition[]): TransactOp => ({ op: Op.Delete, table, where });
/** RFC 7047 §5.2.6 with timeout 0: the transaction fails at once unless the rows matching `where` are exactly `rows`. */
export const waitUntilEqual = (
  table: string,
  where: readonly Condition[],
  columns: readonly string[],
  rows: readonly Row[],
): TransactOp => ({
  op: Op.Wait,
  table,
  where,
  columns,
  until: '==',
  rows,
  timeout: 0,
});
/**
 * RFC 7047 §5.2.6: the server holds the transaction until some row matches `where`, for at most `timeoutMs`
 * (then the operation fails with "timed out").
 */
export const waitUntilAnyRow = (table: string, where: readonly Condition[], timeoutMs: number): TransactOp => ({
  op: Op.Wait,
  table,
  where,
  columns: ['_uuid'],
  until: '!=',
  rows: [],
  timeout: timeoutMs,
});
export const comment = (text: string): TransactOp => ({ op: Op.Comment, comment: text });

/** The params of a `transact` request (RFC 7047 §4.1.3): the database name, then the operations. */
export function transactParams(db: string, ops: readonly TransactOp[]): Json[] {
  return [db, ...(ops as unknown as Json[])];
}

// ---------------------------------------------------------------------------------------- transact results

/** RFC 7047 §4.1.3: an error in one operation, or in the commit (an error after the last operation's result). */
export interface TransactError {
  readonly error: string;
  readonly details: string | null;
  /** Index of the failed operation, or null when the commit itself failed (constraint, referential integrity). */
  readonly opIndex: number | null;
}

export type TransactOutcome =
  | { readonly ok: true; readonly results: readonly Readonly<Record<string, unknown>>[] }
  | { readonly ok: false; readonly error: TransactError };

/** Reads a `transact` result array: the first error wins, otherwise every operation's result. */
export function decodeTransactResult(result: unknown, opCount: number): TransactOutcome {
  if (!Array.isArray(result)) {
    return { ok: false, error: { error: 'malformed result', details: JSON.stringify(result) ?? null, opIndex: null } };
  }
  const results: Readonly<Record<string, unknown>>[] = [];
  for (const [index, entry] of result.entries()) {
    if (isRecord(entry) && typeof entry.error === 'string') {
      const details = typeof entry.details === 'string' ? entry.details : null;
      return { ok: false, error: { error: entry.error, details, opIndex: index < opCount ? index : null } };
    }
    results.push(isRecord(entry) ? entry : {});
  }
  if (results.length < opCount) {
    return {
      ok: false,
      error: { error: 'short result', details: `${results.length} of ${opCount} results`, opIndex: null },
    };
  }
  return { ok: true, results: results.slice(0, opCount) };
}

/** The rows of a `select` result, or an empty list. */
export function selectedRows(
  result: Readonly<Record<string, unknown>> | undefined,
): readonly Readonly<Record<string, unknown>>[] {
  const rows = result?.rows;
  return Array.isArray(rows) ? rows.filter(isRecord) : [];
}
