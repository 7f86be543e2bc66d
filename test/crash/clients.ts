import { approvalLink, type ClaimView, formFields, type Mail, mailbox, signedFetch } from '../integration/harness.ts';
import type { ClaimPlan } from './scenarios.ts';
import type { Endpoints, StackProcess } from './stack-process.ts';

/** Statuses after which nothing more happens to a claim (functions/domain/ledger.ts `claimStatuses`). */
export const terminalStatuses: readonly string[] = ['settled', 'rejected', 'closed', 'failed'];
/** Statuses in which a claim waits for someone outside makegood: its approver, or the shop's parcel. */
export const waitingStatuses: readonly string[] = ['awaiting_approval', 'awaiting_return'];

const approvers = ['agent@demo.test', 'supervisor@demo.test', 'finance@demo.test'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An answer the client got: the status and the whole body (read before the stack could die). */
interface Answer {
  readonly status: number;
  readonly text: string;
}

/** What a client saw of one claim: the claim id it was given and how far it got. */
export interface ClaimRun {
  readonly plan: ClaimPlan;
  /** Every claim id an answer to the plan's POST named (more than one is a violation). */
  readonly claimIds: Set<string>;
  claimId?: string;
  /** The status the client last saw. */
  lastStatus?: string;
  /** Why the client stopped driving it, when it was not because the claim ended or waits on purpose. */
  gaveUp?: string;
  /** Answers that were not what a storefront expects (refusals, repeated 500s), in order. */
  readonly notes: string[];
  approvalPosts: number;
  returnPosts: number;
  /** The storefront gave up after a kill cut its first POST off (see `ClaimPlan.abandonIfCut`). */
  abandoned?: true;
}

/** Counters across all clients. */
export interface ClientStats {
  requests: number;
  /** Requests that got no answer (cut off by a kill, or refused while the stack was down) and were sent again. */
  retried: number;
  /** 500s from a generation of the stack that was not killed while the request ran. */
  serverErrors: number;
  claimsStarted: number;
}

/** Gives up on an operation: the stack answered, but never with anything a client can go on with. */
class GiveUp extends Error {}

/**
 * Storefronts, approvers and the shop's warehouse, as concurrent clients of the stack. Each
 * client takes the next claim plan and drives it to its end: files it, answers its approval
 * round through the emailed link, reports its parcel, until the claim is terminal or waits on
 * purpose. Every request that gets no answer (a kill cut it off, the stack is restarting) is
 * sent again, as a real storefront would: the same claim with the same Idempotency-Key and the
 * same body, the same return report, the same approval form.
 */
export class Clients {
  readonly stats: ClientStats = { requests: 0, retried: 0, serverErrors: 0, claimsStarted: 0 };
  readonly runs: ClaimRun[];
  private nextPlan = 0;
  /** Who waits for the next first POST of a claim whose storefront gives up if it is cut off. */
  private intakeWaiters: Array<(plan: ClaimPlan | undefined) => void> = [];

  constructor(
    private readonly stack: StackProcess,
    plans: readonly ClaimPlan[],
    private readonly options: { readonly clients: number; readonly stallMs: number; readonly requestTimeoutMs: number },
  ) {
    this.runs = plans.map((plan) => ({ plan, claimIds: new Set<string>(), notes: [], approvalPosts: 0, returnPosts: 0 }));
  }

  /** Runs every plan through `clients` concurrent clients; resolves when all are done. */
  async runAll(): Promise<void> {
    await Promise.all(
      Array.from({ length: this.options.clients }, async () => {
        for (;;) {
          const run = this.runs[this.nextPlan++];
          if (!run) return;
          this.stats.claimsStarted += 1;
          try {
            await this.drive(run);
          } catch (err) {
            run.gaveUp = `client error: ${err instanceof Error ? err.message : String(err)}`;
          }
        }
      }),
    );
    this.releaseIntakeWaiters();
  }

  /**
   * Resolves as soon as the first POST of a claim whose storefront gives up when it is cut off
   * (`abandonIfCut`) is on its way: a kill then can land inside that intake.
   */
  nextAbandonableIntake(): Promise<ClaimPlan | undefined> {
    return new Promise((resolve) => this.intakeWaiters.push(resolve));
  }

  /** Wakes whoever waits for an intake (with none once every claim is done, so nobody waits forever). */
  private releaseIntakeWaiters(plan?: ClaimPlan): void {
    for (const wake of this.intakeWaiters.splice(0)) wake(plan);
  }

  /** One attempt only, for a storefront that does not retry: undefined when no answer came. */
  private async once(plan: ClaimPlan, send: (ep: Endpoints) => Promise<Response>): Promise<Answer | undefined> {
    let ep: Endpoints | undefined;
    while (!ep) {
      try {
        ep = await this.stack.up();
      } catch {
        if (this.stack.startFailure) throw new GiveUp(`the stack does not start: ${this.stack.startFailure}`);
        await sleep(100);
      }
    }
    this.stats.requests += 1;
    const sent = send(ep);
    this.releaseIntakeWaiters(plan);
    try {
      return await withTimeout(
        sent.then(async (res) => ({ status: res.status, text: await res.text() })),
        this.options.requestTimeoutMs,
      );
    } catch {
      return undefined;
    }
  }

  /**
   * One request, sent until the stack answers it with something other than a server error.
   * `send` is called again for each attempt, so each is signed when it is sent.
   */
  private async request(what: string, run: ClaimRun, send: (ep: Endpoints) => Promise<Response>): Promise<Answer> {
    let healthy500s = 0;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      let ep: Endpoints;
      try {
        ep = await this.stack.up();
      } catch (err) {
        if (this.stack.startFailure) throw new GiveUp(`the stack does not start: ${this.stack.startFailure}`);
        void err; // killed while starting: the next generation is on its way
        continue;
      }
      const generation = this.stack.generation;
      this.stats.requests += 1;
      let answer: Answer;
      try {
        answer = await withTimeout(
          send(ep).then(async (res) => ({ status: res.status, text: await res.text() })),
          this.options.requestTimeoutMs,
        );
      } catch {
        this.stats.retried += 1;
        continue;
      }
      if (answer.status < 500) return answer;
      if (answer.status === 500 && this.stack.generation === generation) {
        this.stats.serverErrors += 1;
        healthy500s += 1;
        run.notes.push(`${what}: 500 from a running stack: ${answer.text.slice(0, 300)}`);
        if (healthy500s >= 8) throw new GiveUp(`${what}: answered 500 ${healthy500s} times by a running stack`);
      }
      // 503 (not ready, or try_again) and a 500 from a stack killed meanwhile: send it again.
      this.stats.retried += 1;
    }
  }

  private async drive(run: ClaimRun): Promise<void> {
    const { plan } = run;
    const post = (ep: Endpoints) => signedFetch(ep.apiUrl, 'POST', '/v1/claims', plan.body, { idempotencyKey: plan.idempotencyKey });
    let posted: Answer;
    if (plan.abandonIfCut) {
      const first = await this.once(plan, post);
      if (!first || first.status >= 500) {
        run.abandoned = true;
        return;
      }
      posted = first;
    } else {
      posted = await this.request('POST /v1/claims', run, post);
    }
    if (posted.status !== 202) {
      run.gaveUp = `POST /v1/claims answered ${posted.status}: ${posted.text.slice(0, 300)}`;
      return;
    }
    const claimId = (JSON.parse(posted.text) as { claimId: string }).claimId;
    run.claimId = claimId;
    run.claimIds.add(claimId);
    // A storefront that is not sure its first answer was stored sends the claim once more: the
    // replay must name the same claim (Idempotent-Replayed), never a second one.
    if (plan.index % 5 === 0) {
      const replay = await this.request('POST /v1/claims (replay)', run, (ep) =>
        signedFetch(ep.apiUrl, 'POST', '/v1/claims', plan.body, { idempotencyKey: plan.idempotencyKey }),
      );
      if (replay.status === 202) run.claimIds.add((JSON.parse(replay.text) as { claimId: string }).claimId);
      else run.notes.push(`replay of POST /v1/claims answered ${replay.status}: ${replay.text.slice(0, 300)}`);
    }

    let changedAt = Date.now();
    let returnReport: object | undefined;
    for (;;) {
      const got = await this.request('GET /v1/claims/{id}', run, (ep) => signedFetch(ep.apiUrl, 'GET', `/v1/claims/${claimId}`));
      if (got.status !== 200) {
        run.notes.push(`GET /v1/claims/${claimId} answered ${got.status}: ${got.text.slice(0, 200)}`);
      } else {
        const view = JSON.parse(got.text) as ClaimView;
        if (view.status !== run.lastStatus) {
          run.lastStatus = view.status;
          changedAt = Date.now();
        }
        if (terminalStatuses.includes(view.status)) return;
        if (view.status === 'awaiting_approval') {
          if (plan.leaveWaiting === 'approval') return;
          await this.answerApproval(run, claimId);
        } else if (view.status === 'awaiting_return') {
          if (plan.leaveWaiting === 'return') return;
          returnReport ??= this.returnReport(run);
          await this.reportReturn(run, claimId, returnReport);
        }
      }
      if (Date.now() - changedAt > this.options.stallMs) {
        run.gaveUp = `no progress for ${Math.round(this.options.stallMs / 1000)} s in status ${run.lastStatus ?? '(never read)'}`;
        return;
      }
      await sleep(150);
    }
  }

  /**
   * The approver opens the newest email about the claim, reads the confirmation page and posts
   * its form with the planned answer. An older round's link answers 410; an answered one 409.
   */
  private async answerApproval(run: ClaimRun, claimId: string): Promise<void> {
    const answer = run.plan.answer;
    if (!answer) {
      run.notes.push('waits for an approval the plan has no answer for');
      await sleep(500);
      return;
    }
    let mails: Mail[];
    try {
      const ep = await this.stack.up();
      mails = await withTimeout(mailbox(ep.mailUrl), this.options.requestTimeoutMs);
    } catch {
      return; // the mailbox went down with the stack: look again on the next round
    }
    const about = mails
      .filter((m) => m.destination.to.some((to) => approvers.includes(to)) && (m.body.text ?? '').includes(claimId))
      .sort((a, b) => (b as Mail & { at: number }).at - (a as Mail & { at: number }).at);
    for (const mail of about) {
      const link = approvalLink(mail);
      const page = await this.request('GET /approvals/{token}', run, () => fetch(link));
      if (page.status !== 200) continue;
      const fields = formFields(page.text);
      if (!fields.nonce) continue;
      const form: Record<string, string> = { ...fields, decision: answer.decision === 'reject' ? 'reject' : 'approve' };
      if (answer.decision === 'lower') form.amount = answer.amount;
      if (answer.decision === 'reject') form.note = answer.note;
      run.approvalPosts += 1;
      const posted = await this.request('POST /approvals/{token}', run, () =>
        fetch(link, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form).toString(),
        }),
      );
      // 409: already answered (by this client's earlier post that a kill cut off): the status will tell.
      if (posted.status === 200 || posted.status === 409) return;
      run.notes.push(`POST /approvals answered ${posted.status}: ${/<title>([^<]*)<\/title>/.exec(posted.text)?.[1] ?? ''}`);
      return;
    }
  }

  /** What the shop reports back, fixed at the first attempt so that every retry sends the same report. */
  private returnReport(run: ClaimRun): object {
    const r = run.plan.returned;
    if (!r) throw new GiveUp('waits for a return the plan has none for');
    return { items: [{ sku: r.sku, quantity: r.quantity, condition: r.condition }], receivedAt: new Date().toISOString() };
  }

  private async reportReturn(run: ClaimRun, claimId: string, report: object): Promise<void> {
    run.returnPosts += 1;
    const res = await this.request('POST /v1/claims/{id}/returns', run, (ep) =>
      signedFetch(ep.apiUrl, 'POST', `/v1/claims/${claimId}/returns`, report),
    );
    // 200: taken; 409: not waiting (any more: an earlier report that a kill cut off was taken).
    if (res.status !== 200 && res.status !== 409) run.notes.push(`POST /returns answered ${res.status}: ${res.text.slice(0, 300)}`);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
