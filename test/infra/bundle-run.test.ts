import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionSpec, functionSpecs } from '#handlers/registry.ts';
import { esbuildOptions } from '#infra/bundling.ts';
import { type DynamoEmulator, startDynamo } from '#local/emulators.ts';
import { ensureTables, localDynamoClient } from '#local/seed.ts';
import { LEDGER_TABLE, STATE_TABLE, signedEvent, writeSecrets } from '../unit/handlers/support.ts';

/**
 * A Lambda bundle, built exactly as deployed (infra/bundling.ts), run in a fresh Node process the
 * way Lambda runs it: its credentials come only from the environment. The bundles replace the
 * SDK's default credential chain with the environment provider (adapters/lambda-credentials.ts);
 * this shows that they still reach DynamoDB with the credentials Lambda puts in the environment,
 * and that nothing else (a profile in ~/.aws) is consulted.
 */
const run = promisify(execFile);
const spec = functionSpecs.find((s) => s.id === 'ClaimStatus') as FunctionSpec;
let dir: string;
let dynamo: DynamoEmulator;
let bundle: string;
let home: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'makegood-bundle-run-'));
  dynamo = await startDynamo(join(dir, 'dynamodb'), 0);
  await ensureTables(localDynamoClient(dynamo.url, 'eu-west-1'), LEDGER_TABLE, STATE_TABLE);
  writeSecrets(join(dir, 'secrets'));
  bundle = join(dir, spec.id, 'index.mjs');
  await build({ ...esbuildOptions(spec), outfile: bundle, logLevel: 'error' });
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
    functionName: spec.id,
    awsRequestId: 'req-1',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:x',
    memoryLimitInMB: '1024',
  };
  const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
process.stdout.write(JSON.stringify(await handler(${JSON.stringify(event)}, ${JSON.stringify(context)})));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
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

describe('a Lambda bundle as deployed, run with only the environment Lambda gives it', () => {
  it('reads DynamoDB with the credentials in the environment', async () => {
    // act
    const answer = await invoke({ AWS_ACCESS_KEY_ID: 'FROMENV', AWS_SECRET_ACCESS_KEY: 'fromenv', AWS_SESSION_TOKEN: 'session' });

    // assert — 404: the signature checked out and the ledger was queried; the claim does not exist
    expect(answer.statusCode, answer.body).toBe(404);
    expect(dynamo.operations().Query ?? 0).toBeGreaterThan(0);
  });

  it('consults nothing but the environment: without credentials there, a profile in ~/.aws is not used', async () => {
    // arrange
    const before = dynamo.operations().Query ?? 0;

    // act
    const answer = await invoke({});

    // assert — the SDK's full chain would have read the profile and succeeded
    expect(answer.statusCode).toBeGreaterThanOrEqual(500);
    expect(dynamo.operations().Query ?? 0).toBe(before);
  });
});
