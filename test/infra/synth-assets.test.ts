import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltLambdas, buildLambdas } from '#infra/bundling.ts';
import { addMakegoodStacks } from '#infra/makegood-app.ts';

/**
 * What this proves: a synth that bundles for real (as `cdk synth` and `cdk deploy` do; the other
 * infra tests skip bundling) gives each function its own bundle and the layer its own content,
 * the very bytes infra/bundling.ts builds, and every function the layer. CDK caches staged assets
 * by their source folder and bundling options, so assets that differ in neither would all get the
 * first one's content; this is the test that notices.
 */
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

interface FunctionResource {
  Type: string;
  Properties: { Code?: { S3Key?: string }; Content?: { S3Key?: string }; Description?: string; Layers?: unknown[] };
}

let dir: string;
let built: BuiltLambdas;
let resources: Record<string, FunctionResource>;
let layerLogicalId: string;
let outdir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'makegood-synth-assets-'));
  built = await buildLambdas(join(dir, 'built'));
  outdir = join(dir, 'cdk.out');
  const app = new App({ outdir, context: cdkJson.context });
  const { stateless } = addMakegoodStacks(app);
  const assembly = app.synth();
  resources = (assembly.getStackByName(stateless.stackName).template as { Resources: Record<string, FunctionResource> }).Resources;
  layerLogicalId = stateless.getLogicalId(stateless.layer.node.defaultChild as CfnElement);
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The folder CDK staged an asset in, from the S3 key the template names (`<hash>.zip`). */
function assetDir(s3Key: string | undefined): string {
  const staged = join(outdir, `asset.${String(s3Key).replace(/\.zip$/, '')}`);
  if (!existsSync(staged)) throw new Error(`no staged asset for ${s3Key}`);
  return staged;
}

describe('cdk synth with bundling', () => {
  it("stages each function's own bundle, byte for byte as built, with the layer attached", () => {
    // arrange
    const functions = Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.startsWith('makegood '),
    );
    const wrong: string[] = [];

    // act
    for (const f of built.functions) {
      const entry = functions.find(([, r]) => r.Properties.Description === `makegood ${f.spec.id} (${f.spec.entry})`);
      if (entry === undefined) {
        wrong.push(`${f.spec.id}: not in the template`);
        continue;
      }
      const [, resource] = entry;
      const staged = join(assetDir(resource.Properties.Code?.S3Key), 'index.mjs');
      if (sha(staged) !== sha(join(f.dir, 'index.mjs'))) wrong.push(`${f.spec.id}: staged bundle differs from its build`);
      if (JSON.stringify(resource.Properties.Layers) !== JSON.stringify([{ Ref: layerLogicalId }]))
        wrong.push(`${f.spec.id}: layers ${JSON.stringify(resource.Properties.Layers)}`);
    }

    // assert
    expect(functions).toHaveLength(built.functions.length);
    expect(wrong).toEqual([]);
  });

  it('stages the layer with every file the build made, under makegood/', () => {
    // arrange
    const layer = resources[layerLogicalId];
    const staged = assetDir(layer?.Properties.Content?.S3Key);

    // act
    const differing = [...built.layerBytes.keys()].filter(
      (file) =>
        !existsSync(join(staged, 'makegood', file)) || sha(join(staged, 'makegood', file)) !== sha(join(built.layerDir, 'makegood', file)),
    );

    // assert
    expect(layer?.Type).toBe('AWS::Lambda::LayerVersion');
    expect(built.layerBytes.size).toBeGreaterThan(5);
    expect(differing).toEqual([]);
  });
});

process.once('exit', () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
