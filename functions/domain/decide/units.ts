import type { ClaimRequest } from '../claim.ts';
import type { CustomerHistory } from '../decide.ts';
import { times } from '../money.ts';
import type { EligibleLine } from './eligibility.ts';
import { claimsText, type Rules, unitsText } from './rules.ts';

/**
 * Step 2, units: each unit of an order line is compensated once. For each eligible line, the
 * units still free are the order's quantity less what other claims cover
 * (`history.covered[sku]`); the claim covers the claimed units up to that many.
 * - No claimed unit is free: `already-compensated`, naming the claims that cover them; the claim
 *   is rejected and the customer offered a person to talk to.
 * - Some are: `partly-compensated` names those claims and says what this claim covers; the rest of
 *   the decision is computed on those units only.
 *
 * Returns the covered lines (quantities and list values lowered to the covered units); empty when
 * nothing is free.
 */
export function coverUnits(lines: readonly EligibleLine[], claim: ClaimRequest, history: CustomerHistory, rules: Rules): EligibleLine[] {
  const covered: EligibleLine[] = [];
  const taken: { quantity: number; name: string }[] = [];
  const others = new Set<string>();
  for (const line of lines) {
    const ordered = claim.order.items.find((i) => i.sku === line.sku)?.quantity ?? 0;
    const held = history.covered[line.sku];
    const free = Math.max(0, ordered - (held?.units ?? 0));
    const quantity = Math.min(line.quantity, free);
    if (quantity < line.quantity) {
      taken.push({ quantity: line.quantity - quantity, name: line.name });
      for (const id of held?.claims ?? []) others.add(id);
    }
    if (quantity === line.quantity) covered.push(line);
    else if (quantity > 0) {
      covered.push({
        sku: line.sku,
        name: line.name,
        category: line.category,
        quantity,
        unitPrice: line.unitPrice,
        listValue: times(line.unitPrice, quantity),
        needsEvidence: line.needsEvidence,
      });
    }
  }
  if (taken.length === 0) return covered;
  const units = taken.reduce((a, t) => a + t.quantity, 0);
  const by = `${unitsText(taken)} ${units === 1 ? 'is' : 'are'} already covered by ${claimsText([...others].sort())}`;
  if (covered.length === 0) {
    rules.add('already-compensated', `${by}; nothing is left to compensate`);
  } else {
    rules.add('partly-compensated', `${by}; this claim covers only the remaining ${unitsText(covered)}`);
  }
  return covered;
}
