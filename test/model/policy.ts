import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Policy, parsePolicy } from '#domain/policy.ts';
import { repoRoot } from '#local/stack.ts';

/** The parts of a policy document this file rewrites; the rest is carried over as it is. */
interface PolicyDocument {
  approval: { tiers: { role: string; limit: number | null }[] };
  risk: { goodwillBudget?: unknown; [rule: string]: unknown };
  returnGrading: { reasons: string[]; conditions: Record<string, { refundPercent: number; minRole?: string }> }[];
  [key: string]: unknown;
}

/** What the automatic tier approves in the model's policy: more than any generated order is worth. */
export const AUTO_LIMIT = 100_000_000;

/**
 * Writes `policies/demo.json` as a policy in which no person ever has to approve, into `dir`:
 * - the `auto` tier approves up to {@link AUTO_LIMIT}, the tiers of people sit above it (limits
 *   ascend, the top tier has none);
 * - every risk rule is dropped except the goodwill budget (the rule the model checks);
 * - `returnGrading` keeps its percentages, but every condition is graded automatically.
 * Approvals are proved by the integration suite; this policy lets the model reach a settlement
 * without one. The one review rule left in `decide` (a perishable fault without a photo needs an
 * agent) still applies, and the model expects exactly those claims to wait for a person.
 * The document is parsed with {@link parsePolicy}, so an invalid one fails here, not in the stack.
 */
export async function writeModelPolicy(dir: string): Promise<{ file: string; policy: Policy }> {
  const doc = JSON.parse(await readFile(join(repoRoot, 'policies/demo.json'), 'utf8')) as PolicyDocument;
  const tiers = doc.approval.tiers;
  doc.approval.tiers = tiers.map((tier, i) => ({ ...tier, limit: i === tiers.length - 1 ? null : AUTO_LIMIT * (i + 1) }));
  doc.risk = doc.risk.goodwillBudget === undefined ? {} : { goodwillBudget: doc.risk.goodwillBudget };
  doc.returnGrading = doc.returnGrading.map((grading) => ({
    ...grading,
    conditions: Object.fromEntries(
      Object.entries(grading.conditions).map(([condition, grade]) => [condition, { ...grade, minRole: 'auto' }]),
    ),
  }));
  const policy = parsePolicy(doc);
  const file = join(dir, 'model-policy.json');
  await writeFile(file, JSON.stringify(doc, null, 2));
  return { file, policy };
}
