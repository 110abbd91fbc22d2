import { z } from 'zod';
import { components, componentId } from './schemas.js';

export type JsonSchema = Record<string, unknown>;

/** OpenAPI 3.1 speaks JSON Schema 2020-12; AsyncAPI 3.0's schema format is a superset of draft-07. */
export type Target = 'draft-2020-12' | 'draft-07';

export const COMPONENT_REF = '#/components/schemas/';

/**
 * Fills in `.describe()` texts (kept in zod's global registry, which a custom `metadata` registry
 * hides), and drops the long ISO pattern zod writes beside `format: date-time`.
 */
function override(ctx: { zodSchema: unknown; jsonSchema: JsonSchema }): void {
  const description = z.globalRegistry.get(ctx.zodSchema as z.ZodType)?.description;
  if (description && ctx.jsonSchema.description === undefined) {
    ctx.jsonSchema.description = description;
  }
  if (ctx.jsonSchema.format === 'date-time') delete ctx.jsonSchema.pattern;
  // `.int()` adds the safe-integer range as bounds; they say nothing a reader needs.
  if (ctx.jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete ctx.jsonSchema.maximum;
  if (ctx.jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete ctx.jsonSchema.minimum;
}

function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  if ('$defs' in rest || 'definitions' in rest) {
    throw new Error(`unexpected shared definitions in ${JSON.stringify(rest).slice(0, 200)}`);
  }
  return rest;
}

/**
 * Every named response shape as a component, its references as `#/components/schemas/<id>`.
 * Responses are what the server sends, so the output side of each schema.
 */
export function componentSchemas(target: Target): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(components, {
    metadata: components as unknown as z.core.$ZodRegistry<Record<string, unknown>>,
    target,
    io: 'output',
    unrepresentable: 'throw',
    uri: (id) => `${COMPONENT_REF}${id}`,
    override,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [name, strip(schema as JsonSchema)]),
  );
}

/** A response shape: a reference when it is a named component, inline otherwise. */
export function outputSchema(schema: z.ZodType, target: Target): JsonSchema {
  const id = componentId(schema);
  if (id) return { $ref: `${COMPONENT_REF}${id}` };
  return strip(
    z.toJSONSchema(schema, { target, io: 'output', unrepresentable: 'throw', override }),
  );
}

/**
 * A request schema of a module, as a client writes it: the input side (before defaults, coercion
 * and transforms), so `limit` is optional and `content` is a plain string.
 */
export function inputSchema(schema: z.ZodType, target: Target): JsonSchema {
  return strip(z.toJSONSchema(schema, { target, io: 'input', unrepresentable: 'throw', override }));
}

/** Drops the components that nothing in `doc` references, directly or through other components. */
export function pruneComponents(
  doc: unknown,
  schemas: Record<string, JsonSchema>,
): Record<string, JsonSchema> {
  const reached = new Set<string>();
  const queue: unknown[] = [doc];
  while (queue.length > 0) {
    const node = queue.pop();
    if (Array.isArray(node)) queue.push(...node);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT_REF)) {
          const name = value.slice(COMPONENT_REF.length);
          if (!reached.has(name) && schemas[name]) {
            reached.add(name);
            queue.push(schemas[name]);
          }
        } else queue.push(value);
      }
    }
  }
  return Object.fromEntries(Object.entries(schemas).filter(([name]) => reached.has(name)));
}
