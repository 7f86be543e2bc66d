import type { PlaceholderKind } from '#domain/email-templates.ts';
import { fragment, type Html, html, render } from './html.ts';

/**
 * The HTML of the customer's emails: a single centred card, inline styles only (mail clients drop
 * style sheets), no images, scripts or tables. The words come from `#domain/email.ts`, as runs of
 * text that say what they are; every run is escaped by the template.
 */

/** A run of text and what it is: literal wording, a placeholder's value, or a link to show as one. */
export interface Segment {
  readonly text: string;
  readonly kind: 'literal' | PlaceholderKind | 'link';
}

/** The inline styles of the layout: fixed constants. */
const style = {
  body: 'margin:0;padding:0;background-color:#f3f4f6;',
  frame: 'max-width:600px;margin:0 auto;padding:24px 12px;',
  card: 'background-color:#ffffff;border:1px solid #e5e7eb;border-radius:8px;padding:28px 24px;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.55;color:#1f2937;overflow-wrap:break-word;word-wrap:break-word;word-break:break-word;',
  p: 'margin:0 0 16px 0;',
  lastP: 'margin:0;',
  footer:
    'margin:16px 8px 0 8px;font-family:Arial,Helvetica,sans-serif;font-size:12px;line-height:1.5;color:#6b7280;overflow-wrap:break-word;word-break:break-word;',
  money: 'white-space:nowrap;',
  link: 'color:#0969da;word-break:break-all',
} as const;

/** Lines of text, escaped each, with `<br>` between them. */
function lines(text: string, each: (line: string) => Html = (line) => fragment(html`${line}`)): Html[] {
  return text.split('\n').map((line, i) => fragment(html`${i > 0 ? html`<br>` : ''}${each(line)}`));
}

function segmentHtml(s: Segment): Html {
  if (s.kind === 'literal') return fragment(html`${lines(s.text)}`);
  if (s.kind === 'money') return fragment(html`<strong style="${style.money}">${s.text}</strong>`);
  // Values from outside are isolated, so their direction cannot spill into the wording.
  if (s.kind === 'user') return fragment(html`<bdi>${s.text}</bdi>`);
  // An address keeps its lines: each is isolated on its own.
  if (s.kind === 'address') return fragment(html`${lines(s.text, (line) => fragment(html`<bdi>${line}</bdi>`))}`);
  // Only a web address becomes a link; anything else (`javascript:`, a relative path) stays text.
  if (s.kind === 'link' && (s.text.startsWith('https://') || s.text.startsWith('http://')))
    return fragment(html`<a href="${s.text}" style="${style.link}">${s.text}</a>`);
  return fragment(html`${s.text}`);
}

function segmentsHtml(segments: readonly Segment[]): Html {
  return fragment(html`${segments.map(segmentHtml)}`);
}

/** The whole email: its paragraphs in the card, and the footer (if it has any text) below it. */
export function emailHtml(lang: string, subject: string, paragraphs: readonly (readonly Segment[])[], footer?: readonly Segment[]): string {
  const footerHtml = footer ? segmentsHtml(footer) : undefined;
  return render(
    html`<!doctype html><html lang="${lang}" dir="ltr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${subject}</title></head><body style="${style.body}"><div style="${style.frame}"><div style="${style.card}">${paragraphs.map(
      (p, i) => html`<p style="${i === paragraphs.length - 1 ? style.lastP : style.p}">${segmentsHtml(p)}</p>`,
    )}</div>${footerHtml && footerHtml.toString() !== '' ? html`<p style="${style.footer}">${footerHtml}</p>` : ''}</div></body></html>`,
  );
}
