/**
 * The small dialect layer of the traffic plan: the few places where DuckDB, Trino (Amazon Athena)
 * and GoogleSQL (BigQuery) spell the same operation differently. The plan (plan.ts) is written
 * once against this interface; everything else in it is SQL common to the three.
 * @see https://duckdb.org/docs/sql/introduction
 * @see https://trino.io/docs/current/functions.html
 * @see https://cloud.google.com/bigquery/docs/reference/standard-sql/functions-and-operators
 */

/** Column types of the plan's inline tables and results. */
export type SqlType = 'text' | 'int' | 'bool';

/** A value of an inline table. */
export type SqlValue = string | number | bigint | boolean | null;

/** One SQL dialect. */
export interface Dialect {
  readonly name: 'duckdb' | 'trino' | 'bigquery';
  /** The set union keyword (`UNION`, BigQuery `UNION DISTINCT`). */
  readonly union: string;
  /** The type's name. */
  type(t: SqlType): string;
  /** A string literal. */
  str(s: string): string;
  /** A literal of any inline value, typed. */
  lit(v: SqlValue, t: SqlType): string;
  /** An inline table (a relation usable after FROM): typed columns, rows of values. */
  values(columns: [string, SqlType][], rows: SqlValue[][]): string;
  /**
   * `WITH` item; `materialize` true asks engines that can to compute it once, false to inline it
   * at every reference (never kept), undefined leaves it to the engine.
   */
  cte(name: string, body: string, materialize?: boolean): string;
  /** Bitwise AND of two integers. */
  bitAnd(a: string, b: string): string;
  /** Aggregate bitwise OR. */
  bitOrAgg(x: string): string;
  /** Aggregate boolean OR. */
  boolOrAgg(x: string): string;
  /** Distinct non-null texts joined by a newline in ascending order ('' when none). */
  joinDistinct(x: string): string;
  /** String concatenation. */
  concat(...parts: string[]): string;
  /** Integer to text. */
  intText(x: string): string;
  /**
   * The 32-hex-digit key of an IP address text (IPv4 as IPv4-mapped IPv6, lower case), NULL
   * when the text is not an address. Keys compare like the addresses' numeric values.
   */
  ipKey(x: string): string;
  /** Whether the address text is IPv6 (else IPv4). */
  isIpv6(x: string): string;
  /** A quoted identifier. */
  ident(name: string): string;
}

const quoteStd = (s: string) => `'${s.replace(/'/g, "''")}'`;

abstract class Base implements Dialect {
  abstract readonly name: 'duckdb' | 'trino' | 'bigquery';
  readonly union: string = 'UNION';
  abstract type(t: SqlType): string;
  str(s: string): string { return quoteStd(s); }
  lit(v: SqlValue, t: SqlType): string {
    if (v === null || v === undefined) return `CAST(NULL AS ${this.type(t)})`;
    if (t === 'bool') return v ? 'TRUE' : 'FALSE';
    if (t === 'int') return String(typeof v === 'bigint' ? v : Math.trunc(Number(v)));
    return this.str(String(v));
  }
  values(columns: [string, SqlType][], rows: SqlValue[][]): string {
    const names = columns.map(c => c[0]).join(', ');
    if (rows.length === 0) {
      return `(SELECT ${columns.map(([n, t]) => `${this.lit(null, t)} AS ${n}`).join(', ')} FROM (SELECT 1 AS one) e WHERE 1 = 0)`;
    }
    const body = rows.map(r => `(${r.map((v, i) => this.lit(v, columns[i][1])).join(', ')})`).join(',\n  ');
    return `(SELECT * FROM (VALUES\n  ${body}) AS v(${names}))`;
  }
  cte(name: string, body: string, _materialize?: boolean): string { return `${name} AS (\n${body}\n)`; }
  bitAnd(a: string, b: string): string { return `(${a} & ${b})`; }
  bitOrAgg(x: string): string { return `bit_or(${x})`; }
  boolOrAgg(x: string): string { return `bool_or(${x})`; }
  concat(...parts: string[]): string { return `concat(${parts.join(', ')})`; }
  intText(x: string): string { return `CAST(${x} AS ${this.type('text')})`; }
  isIpv6(x: string): string { return `(strpos(${x}, ':') > 0)`; }
  ident(name: string): string { return `"${name}"`; }
  abstract joinDistinct(x: string): string;
  abstract ipKey(x: string): string;
}

/** DuckDB (the embedded engine). */
class DuckDbDialect extends Base {
  readonly name = 'duckdb' as const;
  type(t: SqlType): string { return t === 'text' ? 'VARCHAR' : t === 'int' ? 'BIGINT' : 'BOOLEAN'; }
  cte(name: string, body: string, materialize?: boolean): string {
    return `${name} AS ${materialize === true ? 'MATERIALIZED ' : materialize === false ? 'NOT MATERIALIZED ' : ''}(\n${body}\n)`;
  }
  joinDistinct(x: string): string { return `coalesce(string_agg(DISTINCT ${x}, chr(10) ORDER BY ${x}), '')`; }
  ipKey(x: string): string {
    const s = `lower(${x})`;
    const v4 = `'00000000000000000000ffff' || array_to_string(list_transform(string_split(${x}, '.'), o -> lpad(lower(to_hex(TRY_CAST(o AS INTEGER))), 2, '0')), '')`;
    const g = (h: string) => `(CASE WHEN ${h} = '' THEN []::VARCHAR[] ELSE string_split(${h}, ':') END)`;
    const left = g(`split_part(${s}, '::', 1)`);
    const right = g(`split_part(${s}, '::', 2)`);
    const hex = (groups: string) => `array_to_string(list_transform(${groups}, q -> lpad(q, 4, '0')), '')`;
    const okGroups = (groups: string) => `list_bool_and(list_transform(${groups}, q -> regexp_full_match(q, '[0-9a-f]{1,4}')))`;
    const full = `string_split(${s}, ':')`;
    const compressed = `list_concat(${left}, list_transform(range(8 - len(${left}) - len(${right})), z -> '0'), ${right})`;
    return `(CASE
      WHEN regexp_full_match(${x}, '[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}')
        THEN CASE WHEN list_max(list_transform(string_split(${x}, '.'), o -> TRY_CAST(o AS INTEGER))) <= 255 THEN ${v4} END
      WHEN NOT regexp_full_match(${s}, '[0-9a-f:]{2,39}') THEN NULL
      WHEN strpos(${s}, '::') = 0 THEN CASE WHEN len(${full}) = 8 AND coalesce(${okGroups(full)}, false) THEN ${hex(full)} END
      WHEN strpos(substr(${s}, strpos(${s}, '::') + 2), '::') > 0 THEN NULL
      WHEN len(${left}) + len(${right}) <= 7 AND coalesce(${okGroups(`list_concat(${left}, ${right}, ['0'])`)}, false) THEN ${hex(compressed)}
    END)`;
  }
}

/** Trino, the engine of Amazon Athena (engine version 3). */
class TrinoDialect extends Base {
  readonly name = 'trino' as const;
  type(t: SqlType): string { return t === 'text' ? 'VARCHAR' : t === 'int' ? 'BIGINT' : 'BOOLEAN'; }
  bitAnd(a: string, b: string): string { return `bitwise_and(${a}, ${b})`; }
  bitOrAgg(x: string): string { return `bitwise_or_agg(${x})`; }
  joinDistinct(x: string): string {
    // array_join skips NULL elements when no null replacement is given
    return `coalesce(array_join(array_sort(array_distinct(array_agg(${x}))), chr(10)), '')`;
  }
  ipKey(x: string): string {
    return `lower(to_hex(CAST(TRY_CAST(${x} AS IPADDRESS) AS VARBINARY)))`;
  }
}

/** GoogleSQL (BigQuery). */
class BigQueryDialect extends Base {
  readonly name = 'bigquery' as const;
  readonly union = 'UNION DISTINCT';
  type(t: SqlType): string { return t === 'text' ? 'STRING' : t === 'int' ? 'INT64' : 'BOOL'; }
  str(s: string): string { return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`; }
  values(columns: [string, SqlType][], rows: SqlValue[][]): string {
    const struct = `STRUCT<${columns.map(([n, t]) => `${n} ${this.type(t)}`).join(', ')}>`;
    if (rows.length === 0) return super.values(columns, rows);
    const body = rows.map(r => `(${r.map((v, i) => this.lit(v, columns[i][1])).join(', ')})`).join(',\n  ');
    return `(SELECT * FROM UNNEST(ARRAY<${struct}>[\n  ${body}]))`;
  }
  /** `&` with a constant mask, as arithmetic on the mask's bits (non-negative values). */
  bitAnd(a: string, b: string): string {
    const mask = Number(b);
    if (!Number.isInteger(mask) || mask < 0) throw new Error(`bitAnd: constant mask expected, got ${b}`);
    const bits = [...Array(31).keys()].filter(i => (mask >> i) & 1).map(i => `MOD(DIV(${a}, ${2 ** i}), 2) * ${2 ** i}`);
    return bits.length ? `(${bits.join(' + ')})` : '0';
  }
  bitOrAgg(x: string): string { return `BIT_OR(${x})`; }
  boolOrAgg(x: string): string { return `LOGICAL_OR(${x})`; }
  joinDistinct(x: string): string {
    // ARRAY_AGG refuses NULL elements: '' stands for none and is dropped
    return `ARRAY_TO_STRING(ARRAY(SELECT DISTINCT y FROM UNNEST(ARRAY_AGG(coalesce(${x}, ''))) AS y WHERE y <> '' ORDER BY y), '\\n')`;
  }
  isIpv6(x: string): string { return `(STRPOS(${x}, ':') > 0)`; }
  ident(name: string): string { return `\`${name}\``; }
  ipKey(x: string): string {
    const b = `NET.SAFE_IP_FROM_STRING(${x})`;
    return `(CASE WHEN BYTE_LENGTH(${b}) = 4 THEN CONCAT('00000000000000000000ffff', TO_HEX(${b})) ELSE TO_HEX(${b}) END)`;
  }
}

/** The dialects by name. */
export const DIALECTS: Record<'duckdb' | 'trino' | 'bigquery', Dialect> = {
  duckdb: new DuckDbDialect(),
  trino: new TrinoDialect(),
  bigquery: new BigQueryDialect(),
};

/** The key of a numeric address value (see `Dialect.ipKey`). */
export function ipKeyOf(family: 'ipv4' | 'ipv6', value: bigint): string {
  const v = family === 'ipv4' ? (0xffffn << 32n) | value : value;
  return v.toString(16).padStart(32, '0');
}
