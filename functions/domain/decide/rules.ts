import type { ClaimRequest, Reason } from '../claim.ts';
import type { FiredRule } from '../decide.ts';
import { formatMoney, type Money } from '../money.ts';

/**
 * The sentences a decision collects, in the order its steps apply them. A step that must state an
 * amount a later step may still lower reserves its place and fills it once the amount is known,
 * so no rule ever announces what is then taken away.
 */
export class Rules {
  readonly list: FiredRule[] = [];
  add(id: string, text: string): void {
    this.list.push({ id, text });
  }
  /** Keeps a rule's place in the order while its words wait for the steps that follow. */
  reserve(): number {
    return this.list.push({ id: '', text: '' }) - 1;
  }
  fill(at: number, id: string, text: string): void {
    this.list[at] = { id, text };
  }
  /** Removes a reserved place that will not be filled (a rejection grants nothing). */
  drop(at: number): void {
    this.list.splice(at, 1);
  }
}

/** Amounts in the rules are written in English (`€27.50`); the emails translate the outcome. */
export function fmt(m: Money): string {
  return formatMoney(m, 'en');
}

/** The alternative every rejection without a better one offers: a person. */
export const CONTACT: FiredRule = {
  id: 'alternative-contact',
  text: 'A person from the shop will contact the customer to find another way to help',
};

const reasonLabels: Record<Reason, string> = {
  damaged: 'Damaged goods',
  defective: 'A defect',
  not_as_described: 'Goods not as described',
  wrong_item: 'A wrong item',
  missing_item: 'A missing item',
  late_delivery: 'Late delivery',
  not_received: 'An order not received',
  changed_mind: 'A change of mind',
  other: 'Another reason',
};

/** A reason in words. */
export function labelOf(reason: Reason): string {
  return reasonLabels[reason];
}

/** What the customer asked for, in words. */
export function desiredLabel(d: ClaimRequest['complaint']['desiredOutcome']): string {
  return { refund: 'a refund', return: 'a return', replacement: 'a replacement', store_credit: 'store credit', apology: 'an apology' }[d];
}

/** `2 × glass and 1 × lamp`. */
export function unitsText(lines: readonly { readonly quantity: number; readonly name: string }[]): string {
  const parts = lines.map((l) => `${l.quantity} × ${l.name}`);
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** `claim clm_1`, `claims clm_1 and clm_2`, or `another claim` when the ledger names none. */
export function claimsText(ids: readonly string[]): string {
  if (ids.length === 0) return 'another claim';
  return `${ids.length === 1 ? 'claim' : 'claims'} ${unitsTextOfIds(ids)}`;
}

function unitsTextOfIds(ids: readonly string[]): string {
  return ids.length <= 1 ? (ids[0] ?? '') : `${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}
