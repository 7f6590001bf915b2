/**
 * Recently served files kept in memory (least recently used out first, bounded in bytes). Transfers of
 * the same file share one buffer, also while it is being read; a file larger than the whole cache is read
 * for its transfers and not kept.
 */
import { readFile } from 'node:fs/promises';
import type { TransferMode } from './codec.ts';
import { toNetascii } from './codec.ts';
import type { RootFile } from './root.ts';

export class FileCache {
  private readonly entries = new Map<string, Uint8Array>();
  private readonly reading = new Map<string, Promise<Uint8Array>>();
  private bytes = 0;

  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** The file's content as sent in `mode` (netascii converts line ends). */
  async content(file: RootFile, mode: TransferMode): Promise<Uint8Array> {
    const key = `${file.identity}|${file.realPath}|${mode}`;
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key); // re-insert: Map order is the recency order
      this.entries.set(key, hit);
      return hit;
    }
    const pending = this.reading.get(key);
    if (pending !== undefined) return pending;
    const read = readFile(file.realPath).then((raw) => (mode === 'netascii' ? toNetascii(raw) : raw));
    this.reading.set(key, read);
    try {
      const data = await read;
      this.keep(key, data);
      return data;
    } finally {
      this.reading.delete(key);
    }
  }

  private keep(key: string, data: Uint8Array): void {
    if (data.length > this.maxBytes) return;
    this.entries.set(key, data);
    this.bytes += data.length;
    for (const [oldKey, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldKey);
      this.bytes -= old.length;
    }
  }
}
