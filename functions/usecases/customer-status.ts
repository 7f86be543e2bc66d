import { type CustomerStatus, customerStatus } from '#domain/customer-status.ts';
import { emailLocale } from '#domain/email.ts';
import { ClaimNotFoundError } from '#domain/errors.ts';
import { openStatusToken, type PeopleTokenProblem } from '#domain/people-tokens.ts';
import type { Deps } from '#ports';
import { loadClaim, senderFor } from './common.ts';

/** What the customer's status page shows. */
export interface StatusPageView extends CustomerStatus {
  readonly claimId: string;
  readonly orderId: string;
  readonly shopName: string;
  /** The customer's locale, as the claim gives it. */
  readonly locale: string;
}

/**
 * Reads what a customer's status link (`/c/<token>`) shows. Reads only: mail scanners open links
 * too. A link that does not open, or whose claim is not in the ledger, shows why and nothing else.
 */
export async function lookupCustomerStatus(
  token: string,
  deps: Pick<Deps, 'ledger' | 'state' | 'secrets' | 'clock' | 'mailFrom'>,
): Promise<{ ok: true; view: StatusPageView } | { ok: false; problem: PeopleTokenProblem | 'unknown_claim' }> {
  const opened = openStatusToken(token, await deps.secrets.approvalKeys(), deps.clock.now());
  if (!opened.ok) return opened;
  try {
    const loaded = await loadClaim(deps, opened.value.claimId);
    const [policy, sender] = await Promise.all([
      deps.state.currentPolicy(loaded.ref.storefrontId),
      senderFor(deps, loaded.ref.storefrontId),
    ]);
    return {
      ok: true,
      view: {
        ...customerStatus(loaded.entries, policy?.policy),
        claimId: loaded.ref.claimId,
        orderId: loaded.ref.orderId,
        shopName: sender.shopName,
        locale: emailLocale(loaded.claim.customer.locale).intl,
      },
    };
  } catch (err) {
    if (err instanceof ClaimNotFoundError) return { ok: false, problem: 'unknown_claim' };
    throw err;
  }
}
