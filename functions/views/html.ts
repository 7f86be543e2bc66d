import { html as honoHtml, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/**
 * The one way makegood writes HTML: hono's `html` tagged template, which escapes every value it
 * is given unless the value is itself such a template (or marked with {@link raw}, for the few
 * fixed strings of this module, such as a stylesheet). Escaping is the default, not a call to
 * remember.
 */
export { raw };

/** hono's `html` template, typed as what every template of makegood is: synchronous (see {@link render}). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return fragment(honoHtml(strings, ...values));
}

/** HTML made by {@link html}: escaped already. */
export type Html = HtmlEscapedString;

/**
 * The finished document as a string. Every template of makegood is synchronous; a promise here
 * would mean an async value slipped into a template, so it throws rather than send `[object Promise]`.
 */
export function render(h: Html | Promise<Html>): string {
  if (h instanceof Promise) throw new TypeError('an HTML template was given a promise; render synchronous values only');
  return h.toString();
}

/** A template from `html`, typed as synchronous (see {@link render}). */
export function fragment(h: Html | Promise<Html>): Html {
  if (h instanceof Promise) throw new TypeError('an HTML template was given a promise; render synchronous values only');
  return h;
}
