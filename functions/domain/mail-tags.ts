import { createHash } from 'node:crypto';

/**
 * How a claim email is named to SES, and how a suppressed address is kept: plain functions, with
 * no schema, so every function that sends email carries only these (the event reader is
 * mail-feedback.ts).
 */

/** The SES message tags every claim email carries. */
export const emailTagNames = { claim: 'makegood-claim', step: 'makegood-step' } as const;

/** SES allows only these characters in a message tag's name and value, at most 256 of them. */
const TAG_CHARS = /^[A-Za-z0-9_\-.@]{1,256}$/;
const TAG_MAX = 256;
/** Characters kept as they are in an encoded tag value; every other byte is `.` and two hex digits. */
const KEPT = /[A-Za-z0-9_\-@]/;

/**
 * A ledger step in the characters SES allows in a tag value: letters, digits, `_`, `-` and `@`
 * stay; every other UTF-8 byte (the `.` too, which is the escape) becomes `.` and its two hex
 * digits. `email:outcome#2` is `email.3Aoutcome.232`.
 */
export function encodeTagValue(text: string): string {
  let out = '';
  for (const ch of text) {
    if (KEPT.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `.${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The text {@link encodeTagValue} encoded; undefined when `value` is not such an encoding. */
export function decodeTagValue(value: string): string | undefined {
  if (!TAG_CHARS.test(value)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch !== '.') {
      bytes.push(ch.charCodeAt(0));
      continue;
    }
    const hex = value.slice(i + 1, i + 3);
    if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  const text = Buffer.from(bytes).toString('utf8');
  return encodeTagValue(text) === value ? text : undefined;
}

/** One SES message tag. */
export interface EmailTag {
  readonly Name: string;
  readonly Value: string;
}

/**
 * The tags of the email with idempotency key `<claimId>/<step>`. A step too long to fit a tag
 * value once encoded (an approver's long address in it) goes without its tag: its feedback is
 * then matched by the message id the ledger recorded.
 */
export function emailTagsOf(idempotencyKey: string): EmailTag[] {
  const slash = idempotencyKey.indexOf('/');
  const claimId = slash < 0 ? idempotencyKey : idempotencyKey.slice(0, slash);
  if (!TAG_CHARS.test(claimId))
    throw new RangeError(`The claim id of email key ${JSON.stringify(idempotencyKey)} cannot be an SES tag value`);
  const tags: EmailTag[] = [{ Name: emailTagNames.claim, Value: claimId }];
  const step = slash < 0 ? '' : idempotencyKey.slice(slash + 1);
  const encoded = encodeTagValue(step);
  if (step !== '' && encoded.length <= TAG_MAX) tags.push({ Name: emailTagNames.step, Value: encoded });
  return tags;
}

/**
 * The key an address is suppressed under: SHA-256 (hex) of the address trimmed and in lower case,
 * so the state table holds no address in clear and `Ann@Shop.example` is `ann@shop.example`.
 */
export function addressKey(address: string): string {
  return createHash('sha256').update(address.trim().toLowerCase()).digest('hex');
}

/** Whether two addresses are the same mailbox as far as suppression goes (see {@link addressKey}). */
export function sameAddress(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
