// The security suite's request generator (tests/support/openapi-cases.ts) against today's
// OpenAPI document: every operation's path parameters get a value their schema accepts, and
// the bad parameter values it draws are ones the schema refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildOpenApiDocument } from '../../api/routes/openapi.ts';
import { loadRouteModules } from '../../api/routes/registry.ts';
import type { OpenApiDocument } from '../support/openapi-cases.ts';
import { badRequests, operationsOf, plausiblePathValue, satisfies } from '../support/openapi-cases.ts';

const document = buildOpenApiDocument(await loadRouteModules()) as unknown as OpenApiDocument;

describe('requests generated from the OpenAPI document', () => {
  it('fills every path parameter with a value its schema accepts', () => {
    for (const operation of operationsOf(document))
      for (const parameter of operation.pathParams)
        assert.ok(
          satisfies(parameter.schema, plausiblePathValue(parameter)),
          `${operation.template} {${parameter.name}}`,
        );
  });

  it('draws path and query values their schemas refuse', () => {
    for (const operation of operationsOf(document)) {
      const pathValues = Object.fromEntries(
        operation.pathParams.map((parameter) => [parameter.name, plausiblePathValue(parameter)]),
      );
      const arbitrary = badRequests(document, operation, pathValues);
      if (!arbitrary) continue;
      for (const bad of fc.sample(arbitrary, { seed: 1, numRuns: 30 })) {
        const parameter = [...operation.pathParams, ...operation.queryParams].find((p) => p.name === bad.field);
        if (!parameter || bad.label.startsWith('body')) continue;
        const value = parameter.in === 'path' ? bad.pathValues[parameter.name] : bad.query[parameter.name];
        assert.ok(
          value !== undefined && !satisfies(parameter.schema, value),
          `${operation.template}: ${bad.label} ${value}`,
        );
      }
    }
  });
});
