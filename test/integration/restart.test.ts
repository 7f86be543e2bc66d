import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoClaims } from '#local/demo.ts';
import { approvalLink, bootStack, formFields, mailbox, signedFetch, waitForClaim, waitForMail } from './harness.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('the embedded stack across a restart', () => {
  it('keeps the ledger and the mailbox, and resumes a claim that was waiting for approval', async () => {
    // arrange: a claim waiting for the agent when the stack stops
    const dataDir = await mkdtemp(join(tmpdir(), 'makegood-restart-'));
    dirs.push(dataDir);
    const body = demoClaims().approval;
    const first = await bootStack({ dataDir });
    const posted = await signedFetch(first.apiUrl, 'POST', '/v1/claims', body, { idempotencyKey: randomUUID() });
    const { claimId } = (await posted.json()) as { claimId: string };
    await waitForClaim(first.apiUrl, claimId, (c) => c.status === 'awaiting_approval' && c.timeline.some((t) => t.type === 'email_sent'));
    const link = new URL(approvalLink(await waitForMail(first.mailUrl, (m) => m.destination.to.includes('agent@demo.test'))));
    await first.cleanup();

    // act: start again on the same data and approve with the link from before the restart
    const second = await bootStack({ dataDir });
    try {
      const reloaded = await waitForClaim(second.apiUrl, claimId, (c) => c.status === 'awaiting_approval');
      const mails = await mailbox(second.mailUrl);
      const page = await fetch(`${second.apiUrl}${link.pathname}`);
      const html = await page.text();
      const form = new URLSearchParams({ ...formFields(html), decision: 'approve' });
      const approved = await fetch(`${second.apiUrl}${link.pathname}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      const awaitingReturn = await waitForClaim(second.apiUrl, claimId, (c) => c.status === 'awaiting_return');

      // assert
      expect(reloaded.timeline.map((t) => t.type)).toEqual(['received', 'decided', 'approval_requested', 'email_sent', 'email_sent']);
      expect(mails.some((m) => m.destination.to.includes('agent@demo.test'))).toBe(true);
      expect(page.status).toBe(200);
      expect(approved.status).toBe(200);
      expect(awaitingReturn.approvals[0]?.result).toBe('approved');
      // The approver's email went out once, before the restart: resuming sent no duplicate.
      expect(awaitingReturn.timeline.filter((t) => t.type === 'approval_requested')).toHaveLength(1);
      expect((await mailbox(second.mailUrl)).filter((m) => m.destination.to.includes('agent@demo.test'))).toHaveLength(1);
    } finally {
      await second.cleanup();
    }
  });
});
