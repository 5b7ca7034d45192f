// The operation catalogue against the code: every row has its family's folder in each layer
// (workflows/, activities/, api/; web/app/ names no family the catalogue lacks), every
// workflow a family exports is a row of the catalogue, and the rows themselves are well
// formed. Adding a workflow without its row (or a row without its workflow) fails here.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadActivityFamily } from '../../worker/registry.ts';
import { familyWorkflowsPath } from '../../worker/workflow-bundle.ts';
import {
  isOperationKind,
  kindsOfFamily,
  OPERATION_CATALOGUE,
  OPERATION_KINDS,
  operationKindLabel,
  WORKFLOW_FAMILIES,
} from '../../workflows/catalogue.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Folders of a layer that are not families: the shared kernel, and modules every family may
 * use that run no workflow of their own (the approval primitive: its gate runs inside the
 * waiting family's workflows, its activities on that family's queue).
 */
const CROSS_FAMILY = ['approvals'];
const SHARED = new Set(['shared', ...CROSS_FAMILY]);

function folders(layer: string): string[] {
  return readdirSync(`${ROOT}${layer}`).filter(
    (name) => !SHARED.has(name) && statSync(`${ROOT}${layer}/${name}`).isDirectory(),
  );
}

describe('operation catalogue', () => {
  it('has a family for every workflow folder, and a workflow folder for every family', () => {
    assert.deepEqual(folders('workflows').sort(), [...WORKFLOW_FAMILIES].sort());
  });

  it('has an activities folder per family, exporting its factory and default slots', async () => {
    assert.deepEqual(folders('activities').sort(), [...WORKFLOW_FAMILIES].sort());
    for (const family of WORKFLOW_FAMILIES) {
      const module = await loadActivityFamily(family);
      assert.equal(typeof module.createActivities, 'function', family);
      assert.ok(Number.isInteger(module.defaultActivitySlots) && module.defaultActivitySlots > 0, family);
    }
  });

  it('has an API folder per family whose starters start each of its kinds through startOperation', () => {
    for (const family of WORKFLOW_FAMILIES) {
      const dir = `${ROOT}api/${family}`;
      assert.ok(existsSync(dir), `api/${family}/ is missing`);
      const source = readdirSync(dir)
        .filter((file) => file.endsWith('.ts'))
        .map((file) => readFileSync(`${dir}/${file}`, 'utf8'))
        .join('\n');
      // startOperation, or signalWithStartOperation for a sequencer fed by signals.
      assert.match(source, /(startOperation|signalWithStartOperation)\(/, `api/${family}/ starts no operation`);
    }
  });

  it('names every family folder of the portal for a family of the catalogue', () => {
    // web/app/ holds the portal's shared folders and one folder per family with portal pieces
    // (a family without any, say a platform-wide job, has none): a renamed or removed family
    // must not leave its forms behind under the old name.
    const portalShared = new Set(['api', 'components', 'routes', ...CROSS_FAMILY]);
    const portalFamilies = readdirSync(`${ROOT}web/app`).filter(
      (name) => !portalShared.has(name) && statSync(`${ROOT}web/app/${name}`).isDirectory(),
    );
    for (const name of portalFamilies)
      assert.ok((WORKFLOW_FAMILIES as readonly string[]).includes(name), `web/app/${name}/ is no family`);
  });

  it('lists exactly the workflows each family folder exports', async () => {
    for (const family of WORKFLOW_FAMILIES) {
      const exported = await import(familyWorkflowsPath(family));
      const workflows = Object.entries(exported)
        .filter(([, value]) => typeof value === 'function')
        .map(([name]) => name)
        .sort();
      const catalogued = kindsOfFamily(family)
        .map((kind) => OPERATION_CATALOGUE[kind].workflowType)
        .sort();
      assert.deepEqual(workflows, catalogued, `workflows/${family}/index.ts against the catalogue`);
    }
  });

  it('has well-formed rows: unique workflow types and labels, readable IDs, a scope', () => {
    const types = OPERATION_KINDS.map((kind) => OPERATION_CATALOGUE[kind].workflowType);
    assert.equal(new Set(types).size, types.length, 'a workflow type is catalogued twice');
    const labels = OPERATION_KINDS.map((kind) => OPERATION_CATALOGUE[kind].label);
    assert.equal(new Set(labels).size, labels.length, 'two kinds read the same');
    for (const kind of OPERATION_KINDS) {
      const entry = OPERATION_CATALOGUE[kind];
      assert.match(kind, /^[a-z]+(-[a-z]+)*$/, `${kind}: kinds are kebab-case`);
      assert.ok(['tenant', 'platform'].includes(entry.scope), kind);
      // The ID starts with the kind, so operators find any operation by it.
      // Each row builds its ID from its own input; any input shows the prefix.
      const buildId = entry.workflowId as (input: Record<string, unknown>) => string;
      const id = buildId({ slug: 'acme', number: 2, endpointId: '6f1c…' });
      assert.ok(id.startsWith(`${kind}/`), `${kind}: ${id}`);
    }
  });

  it('reads kinds for people and knows which strings are kinds', () => {
    assert.equal(operationKindLabel('tenant-provision'), 'Tenant provisioning');
    assert.equal(operationKindLabel('something-new'), 'something-new');
    assert.ok(isOperationKind('tenant-offboard'));
    assert.ok(!isOperationKind('toString'));
  });
});
