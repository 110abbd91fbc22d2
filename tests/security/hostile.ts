import { randomUUID } from 'node:crypto';
import fc from 'fast-check';

/** Hostile input for property-based fuzzing: strings, values and raw JSON bodies. */

export const SQL_INJECTION = [
  "'; drop table users; --",
  "' OR '1'='1",
  '1; SELECT pg_sleep(5); --',
  "'); DELETE FROM messages; --",
  '" OR ""="',
  "admin'--",
  '%',
  '_%_',
  '\\',
  '$1',
  '*',
  ':*',
  '!(a|b)&c',
  "'::regclass",
];

export const NOSQL_INJECTION: unknown[] = [
  { $gt: '' },
  { $ne: null },
  { $where: 'sleep(1000)' },
  { $regex: '.*' },
  ['$or', { a: 1 }],
];

export const UNICODE_EDGES = [
  '\u202Eevil\u202Cfdp.exe',
  'zero\u200Bwidth\u200D',
  'nul\u0000byte',
  '\u0000',
  '\uD800',
  '\uDFFF',
  'a\uD800b\uDC00c',
  '\uFEFFbom',
  'e\u0301\u0301\u0301',
  '𝕳𝖊𝖑𝖑𝖔',
  '👨‍👩‍👧‍👦🏳️‍🌈',
  'line\u2028sep\u2029',
  '\r\n\r\nX-Injected: 1',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '\u001b[31mred',
];

export const BAD_IDS = [
  '',
  ' ',
  '0',
  '-1',
  'null',
  'undefined',
  'NaN',
  '1e309',
  '9'.repeat(40),
  '00000000-0000-0000-0000-000000000000',
  randomUUID(),
  randomUUID().toUpperCase(),
  `${randomUUID()}x`,
  '../../etc/passwd',
  '..%2F..%2F',
  'general',
  'GENERAL',
  '__proto__',
  'constructor',
  'prototype',
  'x'.repeat(101),
];

/** Percent-encodings that are not valid UTF-8 or not encodings at all, for raw path segments. */
export const BAD_ENCODINGS = ['%', '%zz', '%C0%AF', '%ED%A0%80', '%FF%FE', '%E0%A4%A', '%00'];

export const HUGE_STRING = 'a'.repeat(100_000);

/** `depth` levels of nested objects (or arrays), innermost a string. */
export function deep(depth: number, array = false): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i += 1) value = array ? [value] : { a: value };
  return value;
}

export const POLLUTION_JSON = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"prototype":{"polluted":"yes"}}',
  '{"__proto__":{"__proto__":{"polluted":"yes"}},"room":"general","content":"x"}',
  '{"room":"general","content":"x","__proto__":{"polluted":"yes","isAdmin":true}}',
];

export const MALFORMED_JSON = [
  '{',
  '{"a":',
  'nul',
  '[1,2',
  '{"a" 1}',
  '\u0000',
  "{'a':1}",
  '{"a":1}}',
];

/** Any JSON value fast-check can make, and anything it can make turned into JSON. */
const anythingAsJson = fc.anything().map((v) => {
  try {
    const text = JSON.stringify(v);
    return text === undefined ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
});

const loneSurrogates = fc.string({
  unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  maxLength: 4,
});

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SQL_INJECTION, ...UNICODE_EDGES, ...BAD_IDS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  loneSurrogates,
  fc.constant(HUGE_STRING),
  fc
    .tuple(fc.constantFrom(...UNICODE_EDGES), fc.constantFrom(...SQL_INJECTION))
    .map(([a, b]) => a + b),
);

/** Hostile values of every JSON type, wrong types included, deep nesting and injection objects. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  { arbitrary: anythingAsJson, weight: 1 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)), weight: 2 },
  { arbitrary: fc.array(hostileString, { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.constantFrom(...NOSQL_INJECTION), weight: 1 },
  { arbitrary: fc.constantFrom(deep(1000), deep(1000, true)), weight: 1 },
  { arbitrary: fc.constantFrom(...POLLUTION_JSON).map((j) => JSON.parse(j) as unknown), weight: 1 },
);

/** A field of a body: a valid value, a hostile string, any hostile value, or left out. */
export function field<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: valid, weight: 4 },
    { arbitrary: hostileString, weight: 3 },
    { arbitrary: hostileValue, weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
}

/**
 * An object of the known fields: all valid; all valid but one, which is hostile (a hostile string
 * is often valid too: injection and unicode must pass through intact); or each field independently
 * valid, hostile or missing. Now and then with stray keys.
 */
export function hostileFields(
  fields: Record<string, fc.Arbitrary<unknown>>,
): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(fields);
  const valid = fc.record(fields) as fc.Arbitrary<Record<string, unknown>>;
  const independent = fc.record(
    Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, field(v)])),
  ) as fc.Arbitrary<Record<string, unknown>>;
  const oneBad = keys.length
    ? fc
        .tuple(valid, fc.constantFrom(...keys), fc.oneof(hostileString, hostileValue))
        .map(([v, k, bad]) => ({ ...v, [k]: bad }))
    : valid;
  const known = fc.oneof(
    { arbitrary: valid, weight: 2 },
    { arbitrary: oneBad, weight: 3 },
    { arbitrary: independent, weight: 2 },
  );
  const stray = fc.oneof(
    { arbitrary: fc.constant({}), weight: 4 },
    {
      arbitrary: fc.dictionary(
        fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', '$where'), fc.string()),
        hostileValue,
        { maxKeys: 2 },
      ),
      weight: 1,
    },
  );
  return fc.tuple(known, stray).map(([k, s]) => {
    const body: Record<string, unknown> = {};
    for (const [key, value] of [...Object.entries(k), ...Object.entries(s)]) {
      if (value === undefined) continue;
      // defineProperty: a `__proto__` key becomes an own property, as JSON.parse makes it.
      Object.defineProperty(body, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return body;
  });
}

/**
 * A JSON request body as text: the route's fields (see hostileFields), or any hostile value, a
 * prototype-pollution document or malformed JSON.
 */
export function hostileBody(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: hostileFields(fields).map((b) => JSON.stringify(b)), weight: 8 },
    { arbitrary: hostileValue.map((v) => JSON.stringify(v) ?? 'null'), weight: 1 },
    { arbitrary: fc.constantFrom(...POLLUTION_JSON, ...MALFORMED_JSON), weight: 1 },
  );
}

/** Percent-encodes anything, lone surrogates included (as the replacement character's bytes). */
export function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...Buffer.from(value, 'utf8')]
      .map((b) => `%${b.toString(16).padStart(2, '0')}`)
      .join('');
  }
}

/** A string short enough for a URL (Node refuses request lines over its header limit). */
export const urlString: fc.Arbitrary<string> = hostileString.map((s) => s.slice(0, 1500));

/** A path parameter: a real id, a bad one, any hostile string, or a raw malformed encoding. */
export function hostileParam(valid: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...valid).map(encode), weight: 2 },
    { arbitrary: fc.constantFrom(...BAD_IDS).map(encode), weight: 2 },
    { arbitrary: urlString.map(encode), weight: 2 },
    { arbitrary: fc.constantFrom(...BAD_ENCODINGS), weight: 1 },
  );
}

/** A query string: known keys with valid or hostile values, repeated keys, stray keys. */
export function hostileQuery(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const names = Object.keys(fields);
  const pair = fc.oneof(
    ...(names.length
      ? [
          fc
            .constantFrom(...names)
            .chain((k) => fc.tuple(fc.constant(k), fc.oneof(fields[k]!, urlString))),
        ]
      : []),
    fc.tuple(fc.oneof(urlString, fc.constantFrom('__proto__', 'constructor')), urlString),
  );
  return fc
    .array(pair, { maxLength: 5 })
    .map((pairs) => pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&'));
}
