import { html, render } from '#views/html.ts';
import type { EmailContent } from './email.ts';
import type { FollowUpReason } from './followups.ts';
import { plainText } from './text.ts';

/**
 * The agent console's emails (English, like the rest of the approver's side): the sign-in link,
 * and the reminder of a follow-up that is soon due. Plain and short; the link is the point.
 */
function agentEmail(subject: string, paragraphs: readonly string[], link: { href: string; label: string }): EmailContent {
  const text = `${[...paragraphs.slice(0, 1), `${link.label}:\n${link.href}`, ...paragraphs.slice(1)].join('\n\n')}\n`;
  const body = html`<!doctype html><html lang="en"><body style="font-family:Arial,sans-serif;line-height:1.5;color:#1f2328"><p>${paragraphs[0]}</p><p><a href="${link.href}" target="_blank" rel="noopener noreferrer" style="display:inline-block;background:#1a7f37;color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:bold">${link.label}</a></p><p style="color:#555;font-size:90%;word-break:break-all">${link.href}</p>${paragraphs.slice(1).map((p) => html`<p style="color:#555;font-size:90%">${p}</p>`)}</body></html>`;
  return { subject, text, html: render(body) };
}

/**
 * The sign-in link, valid `minutes`, that signs in once, on the page's button (a mail scanner's GET
 * does nothing). The shop's name, like every value from outside in these emails, is shown through
 * {@link plainText}.
 */
export function loginEmail(shopName: string, link: string, minutes: number): EmailContent {
  const shop = plainText(shopName);
  return agentEmail(
    `Your sign-in link to the ${shop} agent console`,
    [
      `Someone asked to sign in to the ${shop} agent console with this address. Open the link within ${minutes} minutes and press "Sign in"; it works once.`,
      'If it was not you, ignore this email: nothing happens until the button on that page is pressed.',
    ],
    { href: link, label: 'Open the sign-in page' },
  );
}

const why: Record<FollowUpReason, string> = {
  offer_alternative: 'The customer was told that someone will contact them to find another solution.',
  arrange_repair: 'The customer was told that someone will contact them to arrange a repair under the legal guarantee.',
  decide_claim: 'Nobody decided the claim in time; the customer was told that someone takes it up personally.',
  review_feedback: 'The customer was told that their feedback was handed to the team to look at.',
  reach_customer:
    'An email to the customer was not sent: their address bounced for good, or they marked an email as spam. Tell them what it said another way.',
};

/** What a follow-up promised, in a sentence for the person who keeps it. */
export function followUpPromise(reason: FollowUpReason): string {
  return why[reason];
}

/** The reminder of an open follow-up, before it is due. */
export function followUpReminderEmail(args: {
  shopName: string;
  orderId: string;
  reason: FollowUpReason;
  due: string;
  dueText: string;
  link: string;
}): EmailContent {
  const order = plainText(args.orderId);
  return agentEmail(
    `Follow-up due ${args.dueText}: order ${order}`,
    [
      `A follow-up at ${plainText(args.shopName)} for order ${order} is due ${args.dueText}. ${why[args.reason]} Please get in touch with the customer, then close the task in the console with a note of what was done.`,
      'You get this because your role is the one the shop’s policy names for this follow-up.',
    ],
    { href: args.link, label: 'Open the claim in the console' },
  );
}
