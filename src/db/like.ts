/** A case-insensitive LIKE prefix pattern; `%`, `_` and `\` typed by a user match themselves. */
export function likePrefix(q: string): string {
  return `${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
