import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccessPort, portsGranted } from '#adapters/bundle-access.ts';
import { type BuiltLambdas, buildLambdas, layerFile, layerImportsOf, namespaceReads } from '#infra/bundling.ts';

/**
 * The most a function's bundle may weigh, in KB of 1,024 bytes: issue 14's ceiling. A bundle
 * holds makegood's own code only; the third-party code it imports is in the layer, which every
 * function shares ("Bundle sizes" in bench/RESULTS.md).
 */
const BUNDLE_LIMIT_KB = 200;

/** The layer module of the AWS SDK client behind each port, as deps.ts builds them. */
const clientOfPort = {
  ledger: layerFile('@aws-sdk/client-dynamodb'),
  state: layerFile('@aws-sdk/client-dynamodb'),
  mail: layerFile('@aws-sdk/client-sesv2'),
  workflow: layerFile('@aws-sdk/client-sfn'),
  secrets: layerFile('@aws-sdk/client-secrets-manager'),
} as const;

/** The files that put code into a build. */
function inputsOf(metafile: Metafile): string[] {
  return Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path),
  );
}

let dir: string;
let built: BuiltLambdas;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'makegood-bundle-size-'));
  built = await buildLambdas(dir);
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Lambda code, built as the stack deploys it (infra/bundling.ts)', () => {
  it(`keeps every function's bundle at or under ${BUNDLE_LIMIT_KB} KB`, () => {
    // act
    const over = built.functions
      .filter((f) => f.bytes > BUNDLE_LIMIT_KB * 1024)
      .map((f) => `${f.spec.id}: ${Math.round(f.bytes / 1024)} KB`);
    // assert
    expect(built.functions.length).toBeGreaterThan(20);
    expect(over).toEqual([]);
  });

  it('puts no third-party code in a bundle: every package comes from the layer', () => {
    // act
    const bundled = built.functions.flatMap((f) =>
      inputsOf(f.metafile)
        .filter((path) => path.includes('node_modules/'))
        .map((path) => `${f.spec.id}: ${path}`),
    );
    // assert
    expect(bundled).toEqual([]);
    expect(built.functions.every((f) => f.layerFiles.includes(layerFile('zod')))).toBe(true);
  });

  it('imports the SDK clients of the ports its access grants, and no other', () => {
    // arrange
    const wrong: string[] = [];
    // act
    for (const f of built.functions) {
      const granted = portsGranted(f.spec.access);
      const needed = new Set((Object.keys(clientOfPort) as AccessPort[]).filter((port) => granted[port]).map((port) => clientOfPort[port]));
      for (const client of new Set(Object.values(clientOfPort))) {
        if (needed.has(client) && !f.layerFiles.includes(client)) wrong.push(`${f.spec.id} lacks ${client}`);
        if (!needed.has(client) && f.layerFiles.includes(client)) wrong.push(`${f.spec.id} imports ${client}`);
      }
    }
    // assert
    expect(wrong).toEqual([]);
  });

  it("replaces the SDK's default credential chain with the environment provider, so no STS or SSO client is in the layer", () => {
    // act
    const inputs = inputsOf(built.layerMetafile);
    const chained = inputs.filter((path) =>
      ['@aws-sdk/credential-provider-node', '@aws-sdk/nested-clients', '@aws-sdk/credential-provider-sso'].some((p) =>
        path.includes(`node_modules/${p}/`),
      ),
    );
    // assert
    expect(chained).toEqual([]);
    expect(inputs.some((path) => path.includes('node_modules/@aws-sdk/credential-provider-env/'))).toBe(true);
  });

  it('holds zod without its locales, but English (its default messages)', () => {
    // act
    const inputs = inputsOf(built.layerMetafile);
    const locales = inputs.filter((path) => /node_modules\/zod\/v4\/locales\/(?!en\.js$)/.test(path));
    // assert
    expect(inputs.some((path) => path.includes('node_modules/zod/'))).toBe(true);
    expect(locales).toEqual([]);
  });
});

describe('what the layer is told to export', () => {
  it("reads the names a bundle imports off esbuild's output, in each form it writes", () => {
    // arrange
    const code =
      'import{A as b,C}from"/opt/makegood/x.mjs";import*as d from"/opt/makegood/zod.mjs";import e from"/opt/makegood/y.mjs";' +
      'import f,{G}from"/opt/makegood/y.mjs";import"/opt/makegood/side.mjs";import{H}from"node:fs";';

    // act
    const imports = layerImportsOf(code);

    // assert
    expect([...imports.keys()].sort()).toEqual(['side.mjs', 'x.mjs', 'y.mjs', 'zod.mjs']);
    expect([...(imports.get('x.mjs')?.names ?? [])].sort()).toEqual(['A', 'C']);
    expect(imports.get('zod.mjs')?.namespace).toBe(true);
    expect([...(imports.get('y.mjs')?.names ?? [])].sort()).toEqual(['G', 'default']);
  });

  it("collects a namespace's member reads across lines, ignoring comments and character ranges", () => {
    // arrange
    const source = [
      "import * as z from 'zod';",
      '/** Wants `extendZodWithOpenApi(z)` one day. */',
      'const id = z.string().regex(/^[a-z0-9]+$/); // not z itself',
      'const s = z',
      '  .object({ id });',
      'type T = z.infer<typeof s>;',
    ].join('\n');

    // act
    const reads = namespaceReads(source, 'z');

    // assert
    expect([...reads.members].sort()).toEqual(['infer', 'object', 'string']);
    expect(reads.otherUse).toBeUndefined();
  });

  it('finds a namespace used other than by its members, with its line, so the build can refuse it', () => {
    // arrange
    const source = ["import * as z from 'zod';", 'const a = z.string();', 'extendZodWithOpenApi(z);'].join('\n');

    // act
    const reads = namespaceReads(source, 'z');

    // assert
    expect(reads.otherUse).toBe(3);
  });
});
