import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearInjectedFaults } from '#adapters/faults.ts';
import { logger } from '#handlers/observability.ts';
import { bootStack, claimBody, postClaim, waitForClaim } from './harness.ts';

/**
 * What the functions log, read from the process's own output while the embedded stack runs a
 * claim: no line carries the customer's name or email address, and every line about the claim
 * carries its id. Every level is on for it.
 */

type Stack = Awaited<ReturnType<typeof bootStack>>;
let stack: Stack;
const lines: string[] = [];
let restoreWrite: () => void;

/** Keeps every JSON line written to `stream` (Powertools writes warnings and errors to stderr), and prints the rest. */
function capture(stream: NodeJS.WriteStream): () => void {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const json = String(chunk)
      .split('\n')
      .filter((l) => l.startsWith('{'));
    lines.push(...json);
    // The log lines are kept here, not printed: the test's output stays readable.
    return json.length > 0 || write(chunk, ...rest);
  }) as typeof stream.write;
  return () => {
    stream.write = write;
  };
}

beforeAll(async () => {
  const restores = [capture(process.stdout), capture(process.stderr)];
  restoreWrite = () => {
    for (const restore of restores) restore();
  };
  stack = await bootStack({ functionEnv: { MAKEGOOD_ALLOW_FAULTS: 'test-only' } });
  logger.setLogLevel('DEBUG');
});
afterAll(async () => {
  delete process.env.MAKEGOOD_FAULTS;
  clearInjectedFaults();
  restoreWrite?.();
  await stack?.cleanup();
});

/** The JSON log lines written since `from`. */
const logLines = (from: number) =>
  lines
    .slice(from)
    .map((l) => {
      try {
        return { text: l, line: JSON.parse(l) as { level?: string; message?: string; claimId?: string; service?: string } };
      } catch {
        return undefined;
      }
    })
    .filter((l) => l?.line.level !== undefined) as { text: string; line: { level: string; message: string; claimId?: string } }[];

describe('logs', () => {
  it('name the claim on every line about it and never its customer, through a step that keeps failing', async () => {
    // arrange: a customer whose name and address would stand out in any line
    const from = lines.length;
    const body = claimBody({ customer: { name: 'Zoë Quillfeather-Marsh', email: 'zoe.quillfeather@pii.example' } });

    // act: SES fails every send, so Conclude fails, is retried by the ASL, and RecordFailure runs
    clearInjectedFaults();
    process.env.MAKEGOOD_FAULTS = JSON.stringify({
      seed: 7,
      rules: [{ service: 'ses', operations: ['SendEmail'], fault: 'server_error' }],
    });
    const { claimId } = (await postClaim(stack.apiUrl, body)).json;
    await waitForClaim(stack.apiUrl, claimId, (c) => c.status === 'failed', 800);
    await stack.engine.idle();
    const logged = logLines(from);

    // assert
    const aboutClaim = logged.filter((l) => l.text.includes(claimId));
    expect(aboutClaim.length, 'lines about the claim').toBeGreaterThan(0);
    expect(aboutClaim.map((l) => l.line.claimId)).toEqual(aboutClaim.map(() => claimId));
    expect(logged.filter((l) => l.line.message === 'Task failed').length).toBeGreaterThan(0);
    for (const { text } of logged) {
      expect(text).not.toContain('Quillfeather');
      expect(text).not.toContain('zoe.quillfeather');
      expect(text).not.toContain('pii.example');
    }
  }, 120_000);

  it('name the claim and never the address through a bounce, its suppression and the email held back', async () => {
    // arrange: the SES emulator bounces mail to SES's simulator address, as SES does
    const from = lines.length;
    delete process.env.MAKEGOOD_FAULTS;
    clearInjectedFaults();
    const customer = { name: 'Zoë Quillfeather-Marsh', email: 'bounce@simulator.amazonses.com' };

    // act
    const first = (await postClaim(stack.apiUrl, claimBody({ customer }))).json.claimId;
    await waitForClaim(stack.apiUrl, first, (c) => c.timeline.some((t) => t.type === 'email_bounced'));
    const second = (await postClaim(stack.apiUrl, claimBody({ customer }))).json.claimId;
    await waitForClaim(stack.apiUrl, second, (c) => c.timeline.some((t) => t.type === 'email_not_sent'));
    await stack.engine.idle();
    const logged = logLines(from);

    // assert
    const feedback = logged.filter((l) => l.line.message === 'Mail feedback recorded');
    expect(feedback.map((l) => l.line.claimId)).toEqual([first]);
    for (const { text } of logged) {
      expect(text).not.toContain('Quillfeather');
      expect(text).not.toContain('bounce@simulator');
      expect(text).not.toContain('simulator.amazonses.com');
    }
  }, 120_000);
});
