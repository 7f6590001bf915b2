/** Tables for CLI output; colours only on a terminal so piped output stays plain text. */
import Table from 'cli-table3';

export function newTable(head: string[]): InstanceType<typeof Table> {
  return new Table(process.stdout.isTTY ? { head } : { head, style: { head: [], border: [] } });
}
