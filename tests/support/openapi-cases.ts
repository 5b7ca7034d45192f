// Requests generated from the API's own OpenAPI document (GET /api/v1/openapi.json), for the
// security suite (tests/security/): every operation it lists, plausible path parameters for
// reaching a route, and fast-check arbitraries of input each operation's schemas refuse. A new
// route is covered as soon as the document lists it; nothing here names a route.
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';

/** The parts of a JSON Schema (as zod-openapi writes it) this file reads. */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
}

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: Schema;
}

export interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }>
  >;
  components?: { schemas?: Record<string, Schema> };
}

export interface Operation {
  method: string;
  /** The document's path template, e.g. /api/v1/tenants/{slug}/members. */
  template: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  /** Header parameters the document declares (Idempotency-Key). */
  headerParams: Parameter[];
  /** The JSON body's schema ($ref resolved), if the operation takes one. */
  body?: Schema;
}

export const describeOperation = (operation: Operation): string => `${operation.method} ${operation.template}`;

export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(document.paths))
    for (const [method, spec] of Object.entries(methods)) {
      // A parameter's schema may be a named one (an enum of the contract): checked as what it names.
      const parameters = (spec.parameters ?? []).map((parameter) => {
        if (!parameter.schema.$ref) return parameter;
        const { $ref: _named, ...own } = parameter.schema;
        return { ...parameter, schema: { ...resolve(document, parameter.schema), ...own } };
      });
      const bodySchema = spec.requestBody?.content['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        template,
        pathParams: parameters.filter((parameter) => parameter.in === 'path'),
        queryParams: parameters.filter((parameter) => parameter.in === 'query'),
        headerParams: parameters.filter((parameter) => parameter.in === 'header'),
        body: bodySchema ? resolve(document, bodySchema) : undefined,
      });
    }
  return operations;
}

/** Follows a `$ref` to the document's components. */
export function resolve(document: OpenApiDocument, schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = document.components?.schemas?.[name];
  if (!target) throw new Error(`The OpenAPI document has no schema ${schema.$ref}`);
  return resolve(document, target);
}

/** The one non-null branch of `anyOf: [X, {type: 'null'}]` (zod's `.nullable()`), else the schema. */
function nonNull(document: OpenApiDocument, schema: Schema): Schema {
  const resolved = resolve(document, schema);
  const branches = (resolved.anyOf ?? resolved.oneOf)?.filter((branch) => branch.type !== 'null');
  return branches?.length === 1 ? resolve(document, branches[0]!) : resolved;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a path or query value (a string) satisfies a parameter's schema. */
export function satisfies(schema: Schema, value: string): boolean {
  if (schema.type === 'integer' || schema.type === 'number') {
    const number = Number(value);
    if (!Number.isFinite(number) || (schema.type === 'integer' && !Number.isInteger(number))) return false;
    if (schema.minimum !== undefined && number < schema.minimum) return false;
    if (schema.exclusiveMinimum !== undefined && number <= schema.exclusiveMinimum) return false;
    return schema.maximum === undefined || number <= schema.maximum;
  }
  if (schema.enum && !schema.enum.includes(value)) return false;
  if (schema.minLength !== undefined && value.length < schema.minLength) return false;
  if (schema.maxLength !== undefined && value.length > schema.maxLength) return false;
  if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) return false;
  return schema.format !== 'uuid' || UUID.test(value);
}

/**
 * A value that satisfies a path parameter's schema and names nothing that exists (a fresh
 * uuid, a made-up name; an enum's first member), so a request reaches the route's own checks. `known` gives real
 * values by parameter name (the tenant's slug, a real key's id).
 */
export function plausiblePathValue(parameter: Parameter, known: Record<string, string> = {}): string {
  const given = known[parameter.name];
  if (given !== undefined) return given;
  const candidates = [
    // An enum (a secret kind): one of its members, the rest of the request is what is bad.
    ...(parameter.schema.enum ?? []).map(String),
    'security',
    randomUUID(),
    'none.security.test',
    randomBytes(32).toString('base64url'),
    '2026-01-01',
    '1',
  ];
  const found = candidates.find((candidate) => satisfies(parameter.schema, candidate));
  if (found === undefined)
    throw new Error(`No plausible value for path parameter ${parameter.name}: ${JSON.stringify(parameter.schema)}`);
  return found;
}

export function renderPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`No value for {${name}} in ${template}`);
    return encodeURIComponent(value);
  });
}

/** One request of bad input, and what it gets wrong. */
export interface BadRequest {
  /** What is wrong, for failure messages. */
  label: string;
  /** Where the fault is: the route's answer, when a 422 validation failure, names this field. */
  field?: string;
  pathValues: Record<string, string>;
  query: Record<string, string>;
  /** The raw body, and its content type. */
  body?: string;
  contentType?: string;
}

const unknownField = fc.stringMatching(/^[a-z][a-zA-Z]{2,12}$/).map((name) => `zz${name}`);

/** JSON values that are not of the schema's type (never null: `.nullable()` fields take it). */
function wrongType(schema: Schema): fc.Arbitrary<unknown> | null {
  switch (schema.type) {
    case 'string':
      return fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.constant({}));
    case 'integer':
      return fc.oneof(
        fc.string(),
        fc.boolean(),
        fc.double({ min: 0.1, max: 1e6, noNaN: true }).filter((n) => !Number.isInteger(n)),
      );
    case 'number':
      return fc.oneof(fc.string(), fc.boolean(), fc.constant([]));
    case 'boolean':
      return fc.oneof(fc.string(), fc.integer(), fc.constant({}));
    case 'array':
      return fc.oneof(fc.string(), fc.integer(), fc.constant({}));
    case 'object':
      return fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer(), { maxLength: 2 }));
    default:
      return null; // a union or anything-goes field: no value is surely of the wrong type
  }
}

/** Values a property's schema refuses, each labelled with how. */
function badValues(document: OpenApiDocument, raw: Schema): Array<fc.Arbitrary<{ how: string; value: unknown }>> {
  const schema = nonNull(document, raw);
  const out: Array<fc.Arbitrary<{ how: string; value: unknown }>> = [];
  const label = (how: string) => (value: unknown) => ({ how, value });
  const typed = wrongType(schema);
  if (typed) out.push(typed.map(label('wrong type')));
  if (schema.enum) {
    const members = schema.enum;
    out.push(
      fc
        .string({ minLength: 1, maxLength: 20 })
        .filter((value) => !members.includes(value))
        .map(label('not one of the enum')),
    );
  }
  if (schema.const !== undefined && typeof schema.const === 'string')
    out.push(fc.constant(`${schema.const}-not`).map(label('not the constant')));
  if (schema.type === 'string' && schema.maxLength !== undefined && schema.maxLength < 8_000) {
    const max = schema.maxLength;
    out.push(
      fc.integer({ min: max + 1, max: max + 64 }).map((length) => ({ how: 'too long', value: 'x'.repeat(length) })),
    );
  }
  if (schema.type === 'string' && (schema.minLength ?? 0) > 0) out.push(fc.constant({ how: 'empty', value: '' }));
  if (schema.type === 'string' && schema.pattern && !schema.enum) {
    const pattern = new RegExp(schema.pattern, 'u');
    out.push(
      fc
        .string({ minLength: 1, maxLength: 30 })
        .map((text) => ` ${text}!`)
        .filter((text) => !pattern.test(text) && (schema.maxLength === undefined || text.length <= schema.maxLength))
        .map(label('does not match the pattern')),
    );
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    if (schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER)
      out.push(
        fc
          .integer({ min: 1, max: 1_000_000 })
          .map((over) => ({ how: 'above the maximum', value: schema.maximum! + over })),
      );
    const floor = schema.minimum ?? schema.exclusiveMinimum;
    if (floor !== undefined)
      out.push(
        fc.integer({ min: 1, max: 1_000_000 }).map((under) => ({ how: 'below the minimum', value: floor - under })),
      );
  }
  if (schema.type === 'array' && schema.maxItems !== undefined && schema.maxItems < 200) {
    const max = schema.maxItems;
    out.push(fc.constant({ how: 'too many items', value: Array.from({ length: max + 1 }, (_, i) => `item-${i}`) }));
  }
  return out;
}

/** Query or path values a parameter's schema refuses (as strings, as they travel). */
function badParameterValues(schema: Schema): fc.Arbitrary<{ how: string; value: string }> | null {
  const candidates: Array<fc.Arbitrary<{ how: string; value: string }>> = [];
  if (schema.type === 'integer' || schema.type === 'number') {
    candidates.push(
      fc
        .constantFrom('abc', '1.5', '-1', '0', '1e400', '99999999999999999999999')
        .map((value) => ({ how: 'not a valid number', value })),
    );
  } else {
    if (schema.enum)
      candidates.push(
        fc.string({ minLength: 1, maxLength: 20 }).map((value) => ({ how: 'not one of the enum', value })),
      );
    if (schema.maxLength !== undefined && schema.maxLength < 4_000)
      candidates.push(fc.constant({ how: 'too long', value: 'x'.repeat(schema.maxLength + 1) }));
    if (schema.pattern || schema.format)
      candidates.push(
        fc.string({ minLength: 1, maxLength: 30 }).map((text) => ({ how: 'malformed', value: ` ${text}!` })),
      );
    if (schema.type === 'boolean')
      candidates.push(fc.constantFrom('yes', '2', 'maybe').map((value) => ({ how: 'not a boolean', value })));
  }
  if (candidates.length === 0) return null;
  return fc.oneof(...candidates).filter(({ value }) => !satisfies(schema, value));
}

/**
 * Bad requests for one operation: wrong types, missing required fields, out-of-range numbers,
 * overlong strings, bad enum members and unknown fields (the bodies are strict objects)
 * field by field; bodies that are not JSON, not an object or sent as another media type; bad
 * path and query parameters. `pathValues` reach the route (a real tenant's slug).
 */
export function badRequests(
  document: OpenApiDocument,
  operation: Operation,
  pathValues: Record<string, string>,
): fc.Arbitrary<BadRequest> | null {
  const json = (value: unknown) => ({ body: JSON.stringify(value), contentType: 'application/json' });
  const base = { pathValues, query: {} };
  const arbitraries: Array<fc.Arbitrary<BadRequest>> = [];

  const body = operation.body;
  if (body) {
    const properties = body.properties ?? {};
    for (const [name, property] of Object.entries(properties))
      for (const bad of badValues(document, property))
        arbitraries.push(
          bad.map(({ how, value }) => ({
            ...base,
            label: `body.${name}: ${how}`,
            field: name,
            ...json({ [name]: value }),
          })),
        );
    for (const name of body.required ?? [])
      arbitraries.push(fc.constant({ ...base, label: `body.${name}: missing`, field: name, ...json({}) }));
    if (body.additionalProperties === false)
      arbitraries.push(
        fc
          .tuple(unknownField, fc.jsonValue({ maxDepth: 1 }))
          .filter(([name]) => !(name in properties))
          .map(([name, value]) => ({
            ...base,
            label: `body.${name}: unknown field`,
            field: name,
            ...json({ [name]: value }),
          })),
      );
    arbitraries.push(
      fc
        .oneof(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }), fc.string(), fc.integer(), fc.boolean())
        .map((value) => ({ ...base, label: 'body: not an object', ...json(value) })),
      fc.constantFrom('{', '{"a":', '[1,', '{"a" 1}', "{'a':1}", '{"a":1}}').map((text) => ({
        ...base,
        label: `body: malformed JSON ${text}`,
        body: text,
        contentType: 'application/json',
      })),
      fc.constant({
        ...base,
        label: 'body: a form, not JSON',
        body: 'a=1&b=2',
        contentType: 'application/x-www-form-urlencoded',
      }),
    );
  } else if (operation.method !== 'GET') {
    // A route that takes no body still meets the JSON parser, which must refuse broken JSON.
    arbitraries.push(
      fc.constantFrom('{', '{"a":', '[1,').map((text) => ({
        ...base,
        label: `body: malformed JSON ${text}`,
        body: text,
        contentType: 'application/json',
      })),
    );
  }

  for (const parameter of operation.queryParams) {
    const bad = badParameterValues(nonNull(document, parameter.schema));
    if (bad)
      arbitraries.push(
        bad.map(({ how, value }) => ({
          ...base,
          label: `query ${parameter.name}: ${how}`,
          field: parameter.name,
          query: { [parameter.name]: value },
        })),
      );
  }
  for (const parameter of operation.pathParams) {
    if (parameter.name === 'slug') continue; // a bad slug names no tenant: the outsider sweep's 404
    const bad = badParameterValues(parameter.schema);
    if (bad)
      arbitraries.push(
        bad.map(({ how, value }) => ({
          ...base,
          label: `path {${parameter.name}}: ${how}`,
          field: parameter.name,
          pathValues: { ...pathValues, [parameter.name]: value },
        })),
      );
  }
  return arbitraries.length === 0 ? null : fc.oneof(...arbitraries);
}

/** The request's URL path and query string. */
export function urlOf(operation: Operation, request: Pick<BadRequest, 'pathValues' | 'query'>): string {
  const query = new URLSearchParams(request.query).toString();
  return `${renderPath(operation.template, request.pathValues)}${query ? `?${query}` : ''}`;
}
