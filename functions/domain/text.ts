/**
 * What text from outside (a shop's order id, a customer's name, a shop's name) may carry into what
 * a person reads: an email's subject and body, a page. One home for the characters that must not
 * get there as they came: control characters (a CR/LF in a subject starts a new header line or a
 * fake paragraph; NUL and BEL break mail clients), the invisible marks that reorder text (U+202E
 * shows `gpj.exe` as `exe.jpg`) and lone surrogates, which are no character at all.
 */

/** C0 controls, DEL and C1 controls. */
function isControl(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/** The arabic letter mark, LRM and RLM, the embeddings and overrides (U+202A–E), the isolates (U+2066–9) and the BOM. */
function isReordering(c: number): boolean {
  return c === 0x061c || c === 0x200e || c === 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0xfeff;
}

/**
 * Makes a value from outside safe to show as plain text: control characters become spaces, the
 * invisible marks that reorder text are removed, a lone surrogate becomes U+FFFD, and whitespace,
 * line breaks included, is collapsed to single spaces. Every email of this app (the customer's,
 * the approver's, the agent's) passes each outside value through it.
 */
export function plainText(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (isControl(c)) out += ' ';
    else if (isReordering(c)) continue;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return out.replace(/\s+/g, ' ').trim();
}

/**
 * An identifier a shop sends (an order, customer or sku id, a category) holds none of these: control
 * (Cc) and format (Cf: the reordering marks, zero-width characters, the BOM) characters, lone
 * surrogates (Cs), and the line and paragraph separators. The intake refuses such an id instead of
 * changing it, since an id is a key the shop will look up again.
 */
export const printableId = /^[^\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]*$/u;

/** The message that goes with {@link printableId}. */
export const printableIdMessage = 'must be printable: no control, invisible or reordering characters, and no line breaks';
