/** `If-Match: revision_number=N` (the revision-if-match extension). */
import { HTTPBadRequest, RevisionNumberConstraintFailed } from '../../domain/errors.ts';

export function checkRevision(ifMatch: string | undefined, current: number): void {
  if (!ifMatch) return;
  for (const part of ifMatch.split(',')) {
    const m = /^\s*revision_number=(\d+)\s*$/.exec(part);
    if (!m) {
      if (part.trim() === '*') continue;
      throw new HTTPBadRequest(`If-Match header '${ifMatch}' is not of the form revision_number=N`);
    }
    const expected = Number(m[1]);
    if (expected !== current) throw new RevisionNumberConstraintFailed(expected, current);
  }
}
