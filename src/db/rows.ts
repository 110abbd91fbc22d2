import { getTableColumns, sql, type InferSelectModel, type SQL, type Table } from 'drizzle-orm';

type Columns = [key: string, name: string, decode: (v: unknown) => unknown][];
const columnsOf = new WeakMap<Table, Columns>();

function columns(table: Table): Columns {
  let list = columnsOf.get(table);
  if (!list) {
    list = Object.entries(getTableColumns(table)).map(([key, column]) => [
      key,
      column.name,
      (v: unknown) => column.mapFromDriverValue(v),
    ]);
    columnsOf.set(table, list);
  }
  return list;
}

/**
 * Every column of `table` under the SQL alias `alias`, each renamed `<prefix><column>`: for
 * hand-written joins on hot paths, whose rows `fromRow` turns back into the table's typed row (the
 * query builder's own mapping cost more CPU per request than the query did in the database).
 */
export function columnsSql(
  table: Table,
  alias: string,
  prefix: string,
  omit: readonly string[] = [],
): SQL {
  return sql.raw(
    columns(table)
      .filter(([key]) => !omit.includes(key))
      .map(([, name]) => `${alias}."${name}" as "${prefix}${name}"`)
      .join(', '),
  );
}

/**
 * The typed row of `table` from a raw row selected with `columnsSql(table, _, prefix, omit)`; the
 * omitted columns are left out of it too.
 */
export function fromRow<T extends Table, K extends string = never>(
  table: T,
  row: Record<string, unknown>,
  prefix: string,
  omit: readonly K[] = [],
): Omit<InferSelectModel<T>, K> {
  const out: Record<string, unknown> = {};
  for (const [key, name, decode] of columns(table)) {
    if ((omit as readonly string[]).includes(key)) continue;
    const value = row[`${prefix}${name}`];
    out[key] = value === null || value === undefined ? null : decode(value);
  }
  return out as Omit<InferSelectModel<T>, K>;
}
