import { html, render } from './html.ts';

/**
 * The HTML of the approver's email (`approvalRequestEmail` in `#domain/approval-email.ts` writes
 * its words): the opening, the facts as a table, the button to the link, the safety note and the
 * claim's reference. Inline styles only, for mail clients; every value is escaped by the template.
 */
export function approvalRequestHtml(args: {
  readonly opening: string;
  readonly facts: readonly (readonly [label: string, value: string])[];
  readonly link: string;
  readonly safety: string;
  readonly claimId: string;
}): string {
  const rows = args.facts.map(
    ([k, v]) => html`<tr><th align="left" style="padding:2px 12px 2px 0;color:#555;font-weight:normal">${k}</th><td>${v}</td></tr>`,
  );
  return render(
    html`<!doctype html><html><body style="font-family:Arial,sans-serif;line-height:1.5;color:#1f2328"><p>${args.opening}</p><table style="border-collapse:collapse;margin:12px 0">${rows}</table><p><a href="${args.link}" target="_blank" rel="noopener noreferrer" style="display:inline-block;background:#1a7f37;color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:bold">Review and decide</a></p><p style="color:#555;font-size:90%">${args.safety}<br>If the button does not work, copy this address into your browser:<br><span style="word-break:break-all">${args.link}</span></p><p style="color:#555;font-size:90%">Reference ${args.claimId}</p></body></html>`,
  );
}
