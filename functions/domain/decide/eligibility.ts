import { type ClaimedLine, type ClaimRequest, claimedLines, type Reason } from '../claim.ts';
import type { FiredRule } from '../decide.ts';
import type { Policy } from '../policy.ts';
import { CONTACT, labelOf, type Rules } from './rules.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Reasons where there is nothing to send back. */
export const NOTHING_TO_RETURN: readonly Reason[] = ['not_received', 'missing_item'];
/** Perishable complaints that are settled without a return, on evidence. */
const PERISHABLE_FAULTS: readonly Reason[] = ['damaged', 'defective', 'not_as_described', 'wrong_item'];

/** A claimed line that qualifies, and whether a person must check it for want of evidence. */
export interface EligibleLine extends ClaimedLine {
  readonly needsEvidence: boolean;
}

/** The lines that qualify, and what a rejection offers if none does. */
export interface Eligibility {
  readonly lines: readonly EligibleLine[];
  readonly alternative: FiredRule;
}

/**
 * Step 1, eligibility: each claimed line is checked in turn.
 * - A final-sale category qualifies only for the policy's excepted reasons (`final-sale`).
 * - The claim must come within the return window from delivery, the category's own window or the
 *   legal floor if longer (`return-window`); there is no window when nothing was delivered. A
 *   defect outside it is offered a repair under the legal guarantee (`alternative-repair`).
 * - A perishable is never sent back: it qualifies for a fault of the goods on evidence, or a
 *   person checks it (`perishable`, `perishable-needs-evidence`), and for nothing else
 *   (`perishable-no-return`).
 */
export function checkEligibility(claim: ClaimRequest, policy: Policy, now: Date, rules: Rules): Eligibility {
  const { reason } = claim.complaint;
  const delivered = claim.order.deliveredAt === undefined ? undefined : Date.parse(claim.order.deliveredAt);
  const ageDays = delivered === undefined ? undefined : Math.floor((now.getTime() - delivered) / DAY_MS);
  const lines: EligibleLine[] = [];
  let alternative: FiredRule = CONTACT;
  for (const line of claimedLines(claim)) {
    const finalSale = policy.finalSale.categories.includes(line.category);
    if (finalSale && !policy.finalSale.exceptReasons.includes(reason)) {
      rules.add(
        'final-sale',
        `${line.name} (${line.category}) is final sale; only ${policy.finalSale.exceptReasons.map(labelOf).join(', ').toLowerCase()} qualify`,
      );
      continue;
    }
    if (!NOTHING_TO_RETURN.includes(reason) && ageDays !== undefined) {
      const window = Math.max(policy.returns.categoryWindowDays[line.category] ?? policy.returns.windowDays, policy.returns.legalFloorDays);
      if (ageDays > window) {
        rules.add('return-window', `${line.name}: delivered ${ageDays} days ago, outside the ${window}-day window`);
        if (reason === 'defective') {
          alternative = {
            id: 'alternative-repair',
            text: 'The item can be repaired under the legal guarantee; a person from the shop will arrange it',
          };
        }
        continue;
      }
      rules.add(
        'return-window',
        `${line.name}: delivered ${ageDays} ${ageDays === 1 ? 'day' : 'days'} ago, within the ${window}-day window`,
      );
    }
    let needsEvidence = false;
    if (policy.perishableCategories.includes(line.category)) {
      if (!PERISHABLE_FAULTS.includes(reason) && !NOTHING_TO_RETURN.includes(reason)) {
        rules.add('perishable-no-return', `${line.name} is perishable and cannot be sent back for ${labelOf(reason).toLowerCase()}`);
        continue;
      }
      if (PERISHABLE_FAULTS.includes(reason) && claim.complaint.evidence.length === 0) {
        needsEvidence = true;
        rules.add('perishable-needs-evidence', `${line.name} is perishable and no photo was sent; a person checks the claim`);
      } else {
        rules.add('perishable', `${line.name} is perishable: settled without sending it back`);
      }
    }
    // Built field by field: an object spread costs more than the rest of this step.
    lines.push({
      sku: line.sku,
      name: line.name,
      category: line.category,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      listValue: line.listValue,
      needsEvidence,
    });
  }
  return { lines, alternative };
}
