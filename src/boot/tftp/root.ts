/**
 * Which file a TFTP file name means, inside the served root and nowhere else.
 *
 * Rules (docs/tftp.md): `\` is read as `/` (DOS-style boot file names); leading `/` are dropped, so
 * `/pxelinux.0` and `pxelinux.0` are the same file (as tftpd-hpa with `-s`); empty and `.` segments are
 * dropped; any `..` segment is refused (access violation) rather than resolved. After that the real path
 * (symlinks resolved) must still be inside the root's real path, and it must be a regular file.
 */
import { constants } from 'node:fs';
import { access, lstat, realpath, stat } from 'node:fs/promises';
import { basename, dirname, sep } from 'node:path';
import { ErrorCode } from './codec.ts';

/** A request path after `normalizeRequestPath`: relative, `/`-separated, no `.`/`..` segments. */
export type RequestPath = string & { readonly __brand: 'TftpRequestPath' };

export type PathRefusal = 'empty-path' | 'parent-segment';

export function normalizeRequestPath(
  name: string,
): { readonly ok: true; readonly path: RequestPath } | { readonly ok: false; readonly reason: PathRefusal } {
  const segments: string[] = [];
  for (const segment of name.replaceAll('\\', '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return { ok: false, reason: 'parent-segment' };
    segments.push(segment);
  }
  if (segments.length === 0) return { ok: false, reason: 'empty-path' };
  return { ok: true, path: segments.join('/') as RequestPath };
}

export type RootRefusal = 'not-found' | 'outside-root' | 'not-a-file' | 'unreadable' | 'exists';

/** The TFTP error code a client sees for each refusal (RFC 1350: 1 file not found, 2 access violation). */
export const REFUSAL_ERROR: Readonly<Record<RootRefusal | PathRefusal, { code: ErrorCode; message: string }>> = {
  'not-found': { code: ErrorCode.FileNotFound, message: 'File not found' },
  'empty-path': { code: ErrorCode.FileNotFound, message: 'File not found' },
  'outside-root': { code: ErrorCode.AccessViolation, message: 'Access violation' },
  'parent-segment': { code: ErrorCode.AccessViolation, message: 'Access violation' },
  'not-a-file': { code: ErrorCode.AccessViolation, message: 'Not a regular file' },
  unreadable: { code: ErrorCode.AccessViolation, message: 'Permission denied' },
  exists: { code: ErrorCode.FileExists, message: 'File already exists' },
};

export interface RootFile {
  readonly realPath: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Identity for the cache: the same path replaced by another file is another entry. */
  readonly identity: string;
}

export type RootLookup =
  | { readonly ok: true; readonly file: RootFile }
  | { readonly ok: false; readonly reason: RootRefusal };

function refusalFor(err: unknown): RootRefusal {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG') return 'not-found';
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
  throw err;
}

/** `realRoot` is the root after `realpath` (the server resolves it once at start). */
export async function findInRoot(realRoot: string, path: RequestPath): Promise<RootLookup> {
  const inside = realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`;
  try {
    const real = await realpath(`${inside}${path}`);
    if (!real.startsWith(inside)) return { ok: false, reason: 'outside-root' };
    const st = await stat(real);
    if (!st.isFile()) return { ok: false, reason: 'not-a-file' };
    await access(real, constants.R_OK);
    const identity = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    return { ok: true, file: { realPath: real, size: st.size, mtimeMs: st.mtimeMs, identity } };
  } catch (err) {
    return { ok: false, reason: refusalFor(err) };
  }
}

/**
 * Where a written file goes: its directory must exist inside the root (symlinks resolved) and the file
 * must not exist yet (error 6: a write never replaces a file).
 */
export async function findWriteTarget(
  realRoot: string,
  path: RequestPath,
): Promise<{ readonly ok: true; readonly target: string } | { readonly ok: false; readonly reason: RootRefusal }> {
  const inside = realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`;
  try {
    const dir = await realpath(dirname(`${inside}${path}`));
    if (dir !== realRoot && !dir.startsWith(inside)) return { ok: false, reason: 'outside-root' };
    const target = `${dir}${sep}${basename(path)}`;
    try {
      await lstat(target);
      return { ok: false, reason: 'exists' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return { ok: true, target };
  } catch (err) {
    return { ok: false, reason: refusalFor(err) };
  }
}
