import { fragment, type Html, html, raw } from './html.ts';

/**
 * The shell of makegood's own pages (the approver's pages, the agent console, the customer's
 * status page): plain HTML with inline CSS, no script, no image, nothing loaded from elsewhere
 * (the CSP of `html()` in `functions/handlers/http.ts` forbids it), and kept out of search
 * engines. A page adds its own rules with a `<style>` of its own constants in its body.
 */

/** The stylesheet's rules, one string each: fixed constants, never data. */
export const STYLE_RULES: readonly string[] = [
  ':root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700}',
  '*{box-sizing:border-box}',
  'body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);background:#fff;margin:0}',
  'main{max-width:880px;margin:0 auto;padding:24px 20px 48px}',
  '.top{border-bottom:1px solid var(--line);background:var(--soft)}.top div{max-width:880px;margin:0 auto;padding:10px 20px;color:var(--muted);font-size:14px}',
  'h1{font-size:28px;line-height:1.25;margin:8px 0 8px}h2{font-size:18px;margin:0 0 12px}h3{font-size:15px;margin:16px 0 6px}',
  '.lead{color:var(--muted);margin:0 0 20px}.lead b{color:var(--ink)}',
  '.card{border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}.card>:first-child{margin-top:0}',
  '.proposal{border-color:#8c959f;background:var(--soft)}',
  '.kicker{text-transform:uppercase;letter-spacing:.06em;font-size:12px;color:var(--muted);font-weight:600}',
  '.big{font-size:24px;font-weight:700;margin:2px 0 8px}',
  '.amounts{display:grid;grid-template-columns:max-content max-content;gap:2px 24px;margin:0}.amounts dt{color:var(--muted)}.amounts dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}',
  '.rules{margin:0;padding-left:22px}.rules li{margin:3px 0}code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eff2f5;border-radius:4px;padding:1px 5px}',
  'table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}th{color:var(--muted);font-weight:500;white-space:nowrap}',
  '.facts th{width:9em}.num{text-align:right;font-variant-numeric:tabular-nums}',
  '.muted{color:var(--muted)}.small{font-size:14px}',
  '.warn{border-left:4px solid var(--warn);background:#fff8c5;padding:8px 12px;border-radius:4px}',
  '.forms{display:grid;grid-template-columns:1fr 1fr;gap:16px}@media (max-width:680px){.forms{grid-template-columns:1fr}}',
  '.forms form{border:1px solid var(--line);border-radius:8px;padding:14px 16px;display:flex;flex-direction:column}',
  '.forms form.approve{border-top:4px solid var(--ok)}.forms form.reject{border-top:4px solid var(--bad)}',
  'label{display:block;font-weight:600;margin:8px 0 4px}label small{display:block;font-weight:400;color:var(--muted)}',
  'input,textarea{font:inherit;width:100%;padding:8px 10px;border:1px solid #8c959f;border-radius:6px;background:#fff}',
  'input:focus,textarea:focus{outline:2px solid #0969da;outline-offset:1px}',
  '.money{display:flex;align-items:center;gap:8px}.money span{color:var(--muted);font-weight:600}.money input{max-width:12em;font-variant-numeric:tabular-nums}',
  'button{font:inherit;font-weight:600;padding:10px 18px;border-radius:6px;cursor:pointer;margin-top:14px;align-self:flex-start}',
  'button.approve{background:var(--ok);color:#fff;border:1px solid var(--ok)}button.reject{background:#fff;color:var(--bad);border:1px solid var(--bad)}',
  '.result{font-size:20px}.mark{display:inline-block;width:34px;height:34px;border-radius:50%;color:#fff;text-align:center;line-height:34px;margin-right:10px;font-size:20px;vertical-align:3px}',
  '.mark.ok{background:var(--ok)}.mark.bad{background:var(--bad)}.mark.info{background:var(--muted)}',
  'a{color:#0969da}',
];

/** The whole stylesheet as one string. */
export const STYLE: string = STYLE_RULES.join('');

/** The stylesheet, ready for a template: a constant, so it is the one place {@link raw} is used here. */
export const STYLESHEET: Html = raw(STYLE);

/**
 * A finished page: the shell (language, title, the grey top line, the stylesheet) around `body`.
 * Every value is escaped by the template; `body` is a template already and goes in as it is.
 */
export function appPage({
  lang = 'en',
  title,
  topLine,
  body,
}: {
  lang?: string;
  title: string;
  topLine: string;
  body: Html | Promise<Html>;
}): string {
  return fragment(
    html`<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex,nofollow"><title>${title}</title><style>${STYLESHEET}</style></head><body><div class="top"><div>${topLine}</div></div><main>${fragment(body)}</main></body></html>`,
  ).toString();
}
