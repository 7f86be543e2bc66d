import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltLambdas, buildLambdas, layerResolveFlags } from '#infra/bundling.ts';
import { type DynamoEmulator, startDynamo } from '#local/emulators.ts';
import { ensureTables, localDynamoClient } from '#local/seed.ts';
import { LEDGER_TABLE, STATE_TABLE, signedEvent, writeSecrets } from '../unit/handlers/support.ts';

/**
 * The Lambda code, built exactly as deployed (infra/bundling.ts), run in fresh Node processes with
 * the layer where the bundles import it from (a resolve hook stands in for Lambda's /opt mount).
 *
 * Every function's bundle must link against the layer: the layer re-exports only the names the
 * bundles import, and a name it lacked would fail the import. And a bundle runs the way Lambda
 * runs it, its credentials coming only from the environment: the layer's SDK clients use the
 * environment provider (adapters/lambda-credentials.ts) instead of the SDK's default chain; this
 * shows that they still reach DynamoDB with the credentials Lambda puts in the environment, and
 * that nothing else (a profile in ~/.aws) is consulted.
 */
const run = promisify(execFile);
let dir: string;
let built: BuiltLambdas;
let dynamo: DynamoEmulator;
let bundle: string;
let home: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'makegood-bundle-run-'));
  dynamo = await startDynamo(join(dir, 'dynamodb'), 0);
  await ensureTables(localDynamoClient(dynamo.url, 'eu-west-1'), LEDGER_TABLE, STATE_TABLE);
  writeSecrets(join(dir, 'secrets'));
  built = await buildLambdas(join(dir, 'lambda'));
  bundle = join(dir, 'lambda', 'functions', 'ClaimStatus', 'index.mjs');
  // A profile the SDK's full chain would find and use; the environment provider must not.
  home = join(dir, 'home');
  await mkdir(join(home, '.aws'), { recursive: true });
  await writeFile(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = FROMPROFILE\naws_secret_access_key = fromprofile\n');
}, 120_000);

afterAll(async () => {
  await dynamo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Invokes the bundle's handler once in a fresh `node`, with only `env` (and PATH), and returns its answer. */
async function invoke(env: Record<string, string>): Promise<{ statusCode: number; body: string }> {
  const event = signedEvent({
    method: 'GET',
    path: '/v1/claims/clm_none',
    pathParameters: { claimId: 'clm_none' },
    t: Math.floor(Date.now() / 1000),
  });
  const context = {
    functionName: 'ClaimStatus',
    awsRequestId: 'req-1',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:x',
    memoryLimitInMB: '1024',
  };
  const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
process.stdout.write(JSON.stringify(await handler(${JSON.stringify(event)}, ${JSON.stringify(context)})));`;
  const { stdout } = await run(process.execPath, [...layerResolveFlags(built.layerDir), '--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      AWS_REGION: 'eu-west-1',
      MAKEGOOD_LEDGER_TABLE: LEDGER_TABLE,
      MAKEGOOD_STATE_TABLE: STATE_TABLE,
      MAKEGOOD_SECRETS_DIR: join(dir, 'secrets'),
      MAKEGOOD_DYNAMODB_ENDPOINT: dynamo.url,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      ...env,
    },
  });
  return JSON.parse(stdout) as { statusCode: number; body: string };
}

describe('every Lambda bundle as deployed', () => {
  it('links against the layer and runs its top level in a fresh Node', async () => {
    // act — one process per function, as Lambda gives each its own
    const failures: string[] = [];
    for (const f of built.functions) {
      const script = `await import(${JSON.stringify(pathToFileURL(join(f.dir, 'index.mjs')).href)});`;
      await run(process.execPath, [...layerResolveFlags(built.layerDir), '--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', POWERTOOLS_METRICS_DISABLED: 'true' },
      }).catch((error: { stderr?: string }) =>
        failures.push(
          `${f.spec.id}: ${String(error.stderr)
            .split('\n')
            .find((l) => /Error/.test(l))}`,
        ),
      );
    }

    // assert
    expect(built.functions.length).toBeGreaterThan(20);
    expect(failures).toEqual([]);
  }, 120_000);

  it('fails to import when the layer lacks a name it imports', async () => {
    // arrange — the layer's lib-dynamodb without one of the commands the bundles import
    const layerFile = join(built.layerDir, 'makegood', '@aws-sdk', 'lib-dynamodb.mjs');
    const original = await readFile(layerFile, 'utf8');
    const exported = /export\s*\{([^}]*)\}/.exec(original)?.[1] ?? '';
    const queryExport = exported.split(',').find((e) => /\bQueryCommand\s*$/.test(e.trim()));
    expect(queryExport).toBeDefined();
    await writeFile(layerFile, original.replace(`${queryExport},`, '').replace(`,${queryExport}`, ''));
    const script = `await import(${JSON.stringify(pathToFileURL(bundle).href)});`;

    // act — the layer file put back whatever happens, for the tests after this one
    const failed = await run(process.execPath, [...layerResolveFlags(built.layerDir), '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1' },
    })
      .then(
        () => undefined,
        (error: { stderr?: string }) => String(error.stderr),
      )
      .finally(() => writeFile(layerFile, original));

    // assert
    expect(failed).toMatch(/does not provide an export named 'QueryCommand'/);
  });
});

describe('a Lambda bundle as deployed, run with only the environment Lambda gives it', () => {
  it('reads DynamoDB with the credentials in the environment', async () => {
    // act
    const answer = await invoke({ AWS_ACCESS_KEY_ID: 'FROMENV', AWS_SECRET_ACCESS_KEY: 'fromenv', AWS_SESSION_TOKEN: 'session' });

    // assert — 404: the signature checked out and the ledger was queried; the claim does not exist
    expect(answer.statusCode, answer.body).toBe(404);
    expect((await dynamo.operations()).Query ?? 0).toBeGreaterThan(0);
  });

  it('consults nothing but the environment: without credentials there, a profile in ~/.aws is not used', async () => {
    // arrange
    const before = (await dynamo.operations()).Query ?? 0;

    // act
    const answer = await invoke({});

    // assert — the SDK's full chain would have read the profile and succeeded
    expect(answer.statusCode).toBeGreaterThanOrEqual(500);
    expect((await dynamo.operations()).Query ?? 0).toBe(before);
  });
});
