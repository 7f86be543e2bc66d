import './polyfills.ts';
import './tracing-off.ts';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeDeps } from '#adapters/deps.ts';
import { parseConfig } from '#config';
import { TransientError } from '#domain/errors.ts';
import { functionSpecs } from '#handlers/registry.ts';
import { dataPaths, startDynamo, startDynamoProcess, startMail } from './emulators.ts';
import { createApiServer, type HttpLambda } from './http-server.ts';
import { ensureSecrets, ensureTables, localDynamoClient, seedDemo } from './seed.ts';
import { LocalStepFunctions } from './stepfunctions.ts';
import { startWakes } from './wakes.ts';

/**
 * The file, under the data directory, where a running stack leaves its environment (endpoints,
 * table names; no secrets) so that `npx makegood` can reach it. Removed on a clean stop.
 */
export const RUNTIME_FILE = 'runtime.json';

/** The repository root (this file lives in `local/`). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Settings of the embedded stack; every one has the default DESIGN.md gives it. */
export interface StackOptions {
  /** @default ./.makegood */
  readonly dataDir?: string;
  /** @default 8787 (0 picks a free port) */
  readonly apiPort?: number;
  /** @default 8005 (0 picks a free port) */
  readonly mailPort?: number;
  /** @default 'demo-secret' */
  readonly demoSecret?: string;
  /** @default 'demo-finance-key' */
  readonly financeKey?: string;
  /**
   * A DynamoDB endpoint to use instead of starting dynalite, e.g. AWS's DynamoDB Local in the
   * suite that proves the expressions are valid on AWS. @default dynalite under the data directory
   */
  readonly dynamodbEndpoint?: string;
  /**
   * Where dynalite runs: in this process, or in its own (`npm start`), where dynalite and LevelDB
   * use the second core instead of sharing one with the handlers and the engine. @default 'in-process'
   */
  readonly dynalite?: 'in-process' | 'own-process';
  /**
   * The demo storefront's webhook endpoint and its `whsec_…` signing secret; without it, the demo
   * storefront has none. Follows the options on every start. @default none
   */
  readonly demoWebhook?: { readonly url: string; readonly secret: string };
  /**
   * More environment for the functions, e.g. `MAKEGOOD_WEBHOOK_TIMEOUT_MS` to shorten webhook
   * timeouts and retries in a test. Parsed with the rest, so a bad value fails the start. @default none
   */
  readonly functionEnv?: Readonly<Record<string, string>>;
  /**
   * Whether functions the cloud wakes by schedule or stream (the webhook dispatcher) are woken by
   * a timer here. A benchmark turns it off to invoke them itself and count exactly. @default true
   */
  readonly wakeFunctions?: boolean;
  /** @default policies/demo.json */
  readonly demoPolicyFile?: string;
  /** Where progress lines go. @default console.log */
  readonly log?: (line: string) => void;
  /**
   * Fault injection for tests: called after a workflow task's handler succeeded; when it returns
   * true, the answer is lost (a TransientError is thrown instead), so the ASL's Retry runs the
   * step again, as a Lambda timeout after the work was done would. @default never
   */
  readonly loseTaskAnswer?: (functionId: string) => boolean;
}

/** A running embedded stack. */
export interface RunningStack {
  readonly apiUrl: string;
  readonly mailUrl: string;
  readonly dataDir: string;
  readonly engine: LocalStepFunctions;
  readonly env: Readonly<Record<string, string>>;
  /**
   * Counters for benchmarks, by function id: Lambda-equivalent invocations and their durations as
   * Lambda bills them (each rounded up to the millisecond); and the DynamoDB operations served.
   */
  stats(): Promise<{
    invocations: Readonly<Record<string, number>>;
    billedMs: Readonly<Record<string, number>>;
    dynamodb: Readonly<Record<string, number>>;
  }>;
  /**
   * Invokes a function by its id, counted as above: what a schedule or stream does on AWS, for a
   * benchmark that runs with `wakeFunctions: false` and wakes them itself.
   */
  invoke(functionId: string, event: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** Invocations and billed milliseconds, by function id. */
interface Meter {
  readonly invocations: Record<string, number>;
  readonly billedMs: Record<string, number>;
}

/** Wraps a handler to count its invocations and their duration, as Lambda would bill them. */
function counted<T extends (event: never) => Promise<unknown>>(id: string, fn: T, meter: Meter): T {
  return (async (event: never) => {
    meter.invocations[id] = (meter.invocations[id] ?? 0) + 1;
    const started = performance.now();
    try {
      return await fn(event);
    } finally {
      meter.billedMs[id] = (meter.billedMs[id] ?? 0) + Math.ceil(performance.now() - started);
    }
  }) as T;
}

/** Wraps a task handler so that `lose` may drop its answer after it ran (see `loseTaskAnswer`). */
function lossy<T extends (event: never) => Promise<unknown>>(id: string, fn: T, lose: ((id: string) => boolean) | undefined): T {
  if (!lose) return fn;
  return (async (event: never) => {
    const out = await fn(event);
    if (lose(id)) throw new TransientError(`Injected: the answer of ${id} was lost after it ran`);
    return out;
  }) as T;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolvePort((server.address() as AddressInfo).port));
  });
}

/**
 * Boots makegood on one machine: dynalite and the SES emulator on loopback, the Step Functions
 * engine running statemachines/refund.asl.json, and the HTTP API, all wired to the same handler
 * modules Lambda runs. Only configuration (environment variables) tells them apart.
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const host = '127.0.0.1';
  // The SDK warns once per process that it will need Node 22 from 2027; the embedded mode knows.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = resolve(options.dataDir ?? '.makegood');
  const paths = dataPaths(dataDir);
  await mkdir(dataDir, { recursive: true });
  await ensureSecrets(
    paths.secrets,
    paths.legacySecrets,
    {
      demoSecret: options.demoSecret ?? 'demo-secret',
      financeKey: options.financeKey ?? 'demo-finance-key',
      ...(options.demoWebhook ? { demoWebhookSecret: options.demoWebhook.secret } : {}),
    },
    new Date(),
  );

  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    // Last started, first stopped; a second close finds nothing left to stop.
    for (const close of closers.splice(0).reverse()) await close().catch((err: unknown) => log(`close failed: ${String(err)}`));
  };
  try {
    const dynamo = options.dynamodbEndpoint
      ? { url: options.dynamodbEndpoint, operations: async () => ({}), close: async () => {}, repair: undefined }
      : options.dynalite === 'own-process'
        ? await startDynamoProcess(paths.dynamo, host, (code, signal) =>
            log(
              `[dynamodb] the DynamoDB emulator's process stopped (code ${code}, signal ${signal}); every request now fails: stop and start makegood`,
            ),
          )
        : await startDynamo(paths.dynamo, 0, host);
    closers.push(dynamo.close);
    if (dynamo.repair && dynamo.repair.orphans + dynamo.repair.rewritten > 0)
      log(
        `[dynamodb] repaired the indexes of data written before atomic writes: ${dynamo.repair.orphans} stray row(s) removed, ${dynamo.repair.rewritten} rewritten`,
      );
    const mail = await startMail(paths.mail, options.mailPort ?? 8005, host);
    closers.push(mail.close);

    // Handlers build their adapters lazily from the environment, so the environment is complete
    // before the first request or task reaches them.
    const definition = JSON.parse(await readFile(join(repoRoot, 'statemachines/refund.asl.json'), 'utf8')) as object;
    const modules = await Promise.all(
      functionSpecs.map(async (spec) => ({
        spec,
        mod: (await import(pathToFileURL(join(repoRoot, spec.entry)).href)) as { handler: (event: unknown) => Promise<unknown> },
      })),
    );
    const meter: Meter = { invocations: {}, billedMs: {} };
    const functions: Record<string, (event: unknown) => Promise<unknown>> = {};
    for (const { spec, mod } of modules)
      if (spec.aslPlaceholder)
        functions[spec.aslPlaceholder] = counted(spec.id, lossy(spec.id, mod.handler, options.loseTaskAnswer), meter);
    // What the EventBridge rule on AWS invokes when an execution fails, times out or is aborted.
    const onEnded = modules.find(({ spec }) => spec.onExecutionEnd);
    const engine = new LocalStepFunctions({
      definition,
      functions,
      dataDir: join(dataDir, 'stepfunctions'),
      log: (l) => log(`[workflow] ${l}`),
      ...(onEnded ? { onEnded: counted(onEnded.spec.id, onEnded.mod.handler, meter) } : {}),
    });
    const sfnUrl = await engine.listen(0, host);
    closers.push(() => engine.close());
    // What the EventBridge rule on AWS invokes with SES's bounces and complaints (infra/email.ts).
    const onFeedback = modules.find(({ spec }) => spec.onMailFeedback);
    if (onFeedback) mail.onFeedback(counted(onFeedback.spec.id, onFeedback.mod.handler, meter));

    let ready = false;
    const api = createApiServer(
      modules.flatMap(({ spec, mod }) =>
        (spec.routes ?? []).map((route) => ({ route, fn: counted(spec.id, mod.handler as HttpLambda, meter) })),
      ),
      () => ready,
    );
    const apiPort = await listen(api, options.apiPort ?? 8787, host);
    closers.push(
      () =>
        new Promise<void>((r) => {
          api.close(() => r());
          api.closeAllConnections();
        }),
    );
    const apiUrl = `http://${host}:${apiPort}`;
    const env: Record<string, string> = {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      MAKEGOOD_LEDGER_TABLE: 'makegood-ledger',
      MAKEGOOD_STATE_TABLE: 'makegood-state',
      MAKEGOOD_STATE_MACHINE_ARN: engine.stateMachineArn,
      MAKEGOOD_SECRETS_DIR: paths.secrets,
      MAKEGOOD_PUBLIC_URL: apiUrl,
      MAKEGOOD_MAIL_FROM: 'care@demo.test',
      // Sent through a configuration set, the emulator publishes the mailbox simulator's bounces and complaints.
      MAKEGOOD_SES_CONFIGURATION_SET: 'makegood-local',
      MAKEGOOD_DYNAMODB_ENDPOINT: dynamo.url,
      MAKEGOOD_SES_ENDPOINT: mail.url,
      MAKEGOOD_MAILBOX_URL: mail.url,
      MAKEGOOD_SFN_ENDPOINT: sfnUrl,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'ERROR',
      // Embedded metric format is for CloudWatch, which the embedded stack does not have.
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
      // Nor X-Ray: a traced call would look for a daemon that is not there.
      POWERTOOLS_TRACE_ENABLED: process.env.POWERTOOLS_TRACE_ENABLED ?? 'false',
      ...options.functionEnv,
    };
    Object.assign(process.env, env);

    const config = parseConfig(env);
    await ensureTables(localDynamoClient(dynamo.url, config.region), config.ledgerTable, config.stateTable);
    const deps = makeDeps(config);
    await seedDemo(deps.state, options.demoPolicyFile ?? join(repoRoot, 'policies/demo.json'), new Date(), options.demoWebhook?.url);
    const runtimeFile = join(dataDir, RUNTIME_FILE);
    await writeFile(runtimeFile, JSON.stringify(env, null, 2), { mode: 0o600 });
    closers.push(() => rm(runtimeFile, { force: true })); // first to go on close
    // Functions the cloud wakes by stream or schedule (the webhook dispatcher, the follow-up reminders) are woken by a
    // timer, once per storefront, so a lane held by a slow receiver never stops the others.
    for (const { spec, mod } of modules) {
      if (!spec.wakes || options.wakeFunctions === false) continue;
      const wakes = startWakes(counted(spec.id, mod.handler, meter), {
        name: spec.id,
        pollMs: spec.wakes.pollMs,
        storefronts: () => deps.state.storefronts(),
        log,
      });
      closers.push(() => wakes.stop());
    }
    const resumed = await engine.resumePending();
    if (resumed > 0) log(`[workflow] resumed ${resumed} claim(s) that were mid-flow`);
    // Claims whose intake stopped before their workflow started (a crash of the last run) start
    // now; nothing of the stopped process is still starting one, so no grace is needed.
    const sweeper = modules.find(({ spec }) => spec.id === 'SweepClaims');
    if (sweeper) {
      const { started, retried } = (await sweeper.mod.handler({ graceMs: 0 })) as { started: number; retried: number };
      if (started > 0) log(`[workflow] started ${started} claim(s) received but never started`);
      if (retried > 0) log(`[workflow] retried ${retried} claim(s) whose automatic retry fell due`);
    }
    ready = true;
    const stats = async () => ({
      invocations: { ...meter.invocations },
      billedMs: { ...meter.billedMs },
      dynamodb: await dynamo.operations(),
    });
    const byId = new Map(modules.map(({ spec, mod }) => [spec.id, counted(spec.id, mod.handler, meter)]));
    const invoke = (functionId: string, event: unknown) => {
      const fn = byId.get(functionId);
      if (!fn) throw new Error(`No function ${functionId}; the registry has ${[...byId.keys()].join(', ')}`);
      return fn(event as never);
    };
    return { apiUrl, mailUrl: mail.url, dataDir, engine, env, stats, invoke, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
