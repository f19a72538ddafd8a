import type { StatusRow } from './bindings/StatusRow';

/** Where a status row's digest is read, short and in full: a registry tag (`:staging`,
 *  `registry/repo:staging`) or a file in a deployment repository (`deploy:apps/api/prod.yaml @ 0123456789ab`,
 *  with the commit it was read at: short in the label, in full in the title). */
export function placeOf(row: Pick<StatusRow, 'repository' | 'tag' | 'git' | 'file' | 'commit'>): {
  label: string;
  title: string;
} {
  if (row.tag !== null) {
    return { label: `:${row.tag}`, title: `${row.repository}:${row.tag}` };
  }
  const file = `${row.git ?? ''}:${row.file ?? ''}`;
  const commit = row.commit ? ` @ ${row.commit.slice(0, 12)}` : '';
  return { label: `${file}${commit}`, title: `${file}${row.commit ? ` @ ${row.commit}` : ''}` };
}
