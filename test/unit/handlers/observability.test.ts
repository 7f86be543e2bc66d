import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** What one invocation writes to stdout: the embedded metric format lines among them. */
let written: string[] = [];

beforeEach(() => {
  written = [];
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  vi.resetModules();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  service: string;
  [metric: string]: unknown;
}
const emf = () =>
  written
    .flatMap((w) => w.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Emf);

describe('business metrics', () => {
  it('are written once per invocation, in namespace makegood under the service dimension the alarms read', async () => {
    // arrange
    const { count, invocation } = await import('#handlers/observability.ts');
    const { businessMetrics } = await import('#handlers/business-metrics.ts');
    const handler = invocation(async () => {
      count(businessMetrics.webhookDeliveriesFailed, 2);
      count(businessMetrics.webhookDeliveriesFailed, 0);
      count(businessMetrics.approvalsOverdue);
      throw new Error('the handler fails after counting');
    });

    // act
    await expect(handler(undefined)).rejects.toThrow('the handler fails after counting');
    await invocation(async () => 'nothing counted')(undefined);

    // assert: one line for the first invocation, none for the second
    expect(emf()).toHaveLength(1);
    const [line] = emf() as [Emf];
    expect(line._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'makegood', Dimensions: [['service']] });
    expect(line).toMatchObject({ service: 'makegood', WebhookDeliveriesFailed: 2, ApprovalsOverdue: 1 });
  });
});
