import { afterEach, describe, expect, it, vi } from 'vitest';
import { accessDefines, bundleConstants, portsGranted } from '#adapters/bundle-access.ts';
import { makeDeps } from '#adapters/deps.ts';
import { StoreSecrets } from '#adapters/secrets.ts';
import { SesMailer } from '#adapters/ses-mailer.ts';
import { StepFunctionsWorkflow } from '#adapters/sfn-workflow.ts';
import { parseConfig } from '#config';
import { functionSpecs } from '#handlers/registry.ts';

// Counts the SDK clients makeDeps constructs: the claim under test is that a port the access does
// not grant never builds its client, not only that its adapter is a stand-in.
const built = vi.hoisted(() => new Map<string, number>());
// The configuration each client was given, by client.
const configs = vi.hoisted(() => new Map<string, unknown>());
const counting = vi.hoisted(
  () =>
    // The TypeScript mixin pattern: a base class constructor of `any[]`.
    // biome-ignore lint/suspicious/noExplicitAny: what the mixin pattern requires of its base
    <C extends new (...args: any[]) => object>(name: string, Client: C): C =>
      class extends Client {
        // biome-ignore lint/suspicious/noExplicitAny: passed to the SDK client unchanged
        constructor(...args: any[]) {
          super(...args);
          built.set(name, (built.get(name) ?? 0) + 1);
          configs.set(name, args[0]);
        }
      },
);
vi.mock('@aws-sdk/client-dynamodb', async (original) => {
  const sdk = await original<typeof import('@aws-sdk/client-dynamodb')>();
  return { ...sdk, DynamoDBClient: counting('dynamodb', sdk.DynamoDBClient) };
});
vi.mock('@aws-sdk/client-sesv2', async (original) => {
  const sdk = await original<typeof import('@aws-sdk/client-sesv2')>();
  return { ...sdk, SESv2Client: counting('ses', sdk.SESv2Client) };
});
vi.mock('@aws-sdk/client-sfn', async (original) => {
  const sdk = await original<typeof import('@aws-sdk/client-sfn')>();
  return { ...sdk, SFNClient: counting('sfn', sdk.SFNClient) };
});
vi.mock('@aws-sdk/client-secrets-manager', async (original) => {
  const sdk = await original<typeof import('@aws-sdk/client-secrets-manager')>();
  return { ...sdk, SecretsManagerClient: counting('secretsmanager', sdk.SecretsManagerClient) };
});

const config = parseConfig({
  MAKEGOOD_LEDGER_TABLE: 'makegood-ledger',
  MAKEGOOD_STATE_TABLE: 'makegood-state',
  MAKEGOOD_SECRETS_PREFIX: 'makegood',
  MAKEGOOD_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:makegood-refund',
});

afterEach(() => {
  built.clear();
  configs.clear();
});

describe("the SDK clients' logger", () => {
  it('has no info or trace, so the logger middleware never builds its filtered copy of each request and response, and has what the SDK calls unguarded', () => {
    // act
    makeDeps(config);
    const loggers = [...configs].map(([name, c]) => [name, (c as { logger?: Record<string, unknown> }).logger] as const);

    // assert
    expect(loggers.map(([name]) => name).sort()).toEqual(['dynamodb', 'secretsmanager', 'ses', 'sfn']);
    for (const [name, logger] of loggers) {
      expect(logger, name).toBeDefined();
      expect(logger?.info, name).toBeUndefined();
      expect(logger?.trace, name).toBeUndefined();
      for (const method of ['debug', 'warn', 'error']) expect(typeof logger?.[method], `${name}.${method}`).toBe('function');
    }
  });
});

describe('makeDeps by access', () => {
  it('builds every port and each SDK client once when given no access (the embedded runtime, the CLI)', () => {
    // act
    const deps = makeDeps(config);
    // assert
    expect(Object.fromEntries(built)).toEqual({ dynamodb: 1, ses: 1, sfn: 1, secretsmanager: 1 });
    expect(deps.mailer).toBeInstanceOf(SesMailer);
    expect(deps.workflow).toBeInstanceOf(StepFunctionsWorkflow);
    expect(deps.secrets).toBeInstanceOf(StoreSecrets);
  });

  it.each(functionSpecs.map((spec) => [spec.id, spec.access] as const))('builds only the clients %s is granted', (_, access) => {
    // arrange
    const granted = portsGranted(access);
    // act
    makeDeps(config, { access });
    // assert
    expect({
      dynamodb: built.get('dynamodb') ?? 0,
      ses: built.get('ses') ?? 0,
      sfn: built.get('sfn') ?? 0,
      secretsmanager: built.get('secretsmanager') ?? 0,
    }).toEqual({
      dynamodb: granted.ledger || granted.state ? 1 : 0,
      ses: granted.mail ? 1 : 0,
      sfn: granted.workflow ? 1 : 0,
      secretsmanager: granted.secrets ? 1 : 0,
    });
  });

  it('makes each port it does not grant a stand-in whose every call rejects, naming the port and the method', async () => {
    // arrange
    const deps = makeDeps(config, { access: { ledger: 'none', state: 'none', mail: 'none', workflow: [], secrets: [] } });
    // act
    const calls = await Promise.all(
      [
        deps.ledger.entries('clm_1'),
        deps.state.ping(),
        deps.outbox.claimEvents('clm_1'),
        deps.mailer.ping(),
        deps.workflow.start('clm_1', {}),
        deps.secrets.approvalKeys(),
      ].map((call) =>
        call.then(
          () => 'resolved',
          (e: unknown) => (e as Error).message,
        ),
      ),
    );
    // assert
    expect(built.size).toBe(0);
    expect(calls).toEqual([
      expect.stringMatching(/^ledger\.entries\(\) was called, but this function's access grants no ledger/),
      expect.stringMatching(/^state\.ping\(\) was called, but this function's access grants no state/),
      expect.stringMatching(/^outbox\.claimEvents\(\) was called, but this function's access grants no state/),
      expect.stringMatching(/^mailer\.ping\(\) was called, but this function's access grants no mail/),
      expect.stringMatching(/^workflow\.start\(\) was called, but this function's access grants no workflow/),
      expect.stringMatching(/^secrets\.approvalKeys\(\) was called, but this function's access grants no secrets/),
    ]);
  });

  it('refuses each kind of secret a function is granted secrets but not that kind of, naming the kind, before reading anything', async () => {
    // arrange: Intake reads storefront secrets only
    const { secrets } = makeDeps(config, {
      access: { ledger: 'none', state: 'none', mail: 'none', workflow: [], secrets: ['storefronts'] },
    });
    // act
    const calls = await Promise.all(
      [secrets.approvalKeys(), secrets.financeKey()].map((call) =>
        call.then(
          () => 'resolved',
          (e: unknown) => (e as Error).message,
        ),
      ),
    );
    // assert
    expect(calls).toEqual([
      expect.stringMatching(/^The secret approval-keys was read, but this function's access grants no approval secrets/),
      expect.stringMatching(/^The secret finance-key was read, but this function's access grants no finance secrets/),
    ]);
    expect(built.get('secretsmanager')).toBe(1);
  });

  it('keeps a stand-in from passing for a promise', async () => {
    // arrange
    const { mailer } = makeDeps(config, { access: { ledger: 'read', state: 'none', mail: 'none', workflow: [], secrets: [] } });
    // act
    const awaited = await Promise.resolve(mailer);
    // assert
    expect(awaited).toBe(mailer);
  });

  it('still asks for MAKEGOOD_STATE_MACHINE_ARN when the workflow is granted but no state machine is configured', async () => {
    // arrange
    const { workflow } = makeDeps(
      parseConfig({ MAKEGOOD_LEDGER_TABLE: 'l', MAKEGOOD_STATE_TABLE: 's', MAKEGOOD_SECRETS_DIR: '/nonexistent/secrets' }),
      {
        access: { ledger: 'read', state: 'read', mail: 'none', workflow: ['start'], secrets: [] },
      },
    );
    // act
    const starting = workflow.start('clm_1', {});
    // assert
    await expect(starting).rejects.toThrow('MAKEGOOD_STATE_MACHINE_ARN is required to start executions');
    expect(built.has('sfn')).toBe(false);
  });
});

describe('accessDefines', () => {
  it('gives every port constant a literal true or false, by what the access grants', () => {
    // act
    const defines = accessDefines({ ledger: 'read', state: 'none', mail: 'send', workflow: ['callback'], secrets: [] });
    // assert
    expect(defines).toEqual({
      [bundleConstants.ledger]: 'true',
      [bundleConstants.state]: 'false',
      [bundleConstants.mail]: 'true',
      [bundleConstants.workflow]: 'true',
      [bundleConstants.secrets]: 'false',
    });
    // any one kind of secret grants the secrets port
    expect(
      accessDefines({ ledger: 'none', state: 'none', mail: 'none', workflow: [], secrets: ['finance'] })[bundleConstants.secrets],
    ).toBe('true');
  });
});
