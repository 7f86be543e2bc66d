import type { LocaleWording } from '../email-templates.ts';

const reply = 'If anything is unclear, just reply to this email and a person from our team will answer.';
const thanks = 'Thank you for letting us know about order {order}.';
const apology = { if: 'fault', text: '{apology}' } as const;
const bankDays = 'Depending on your bank, it reaches your account within 5–10 business days.';
const refundNow = `We are refunding {cash} to the payment method you used for this order. ${bankDays}`;
/** Store credit is asked of the shop at decision time: say so, and that an email follows once it can be used. */
const creditReady = 'We will email you as soon as it is ready to use.';
/** Thanks for goods that came back: all of them, or part while the rest is on its way. */
const returned = [
  { if: ['returned', '!awaited'], text: 'Thank you for sending the items back: they have arrived.' },
  { if: ['returned', 'awaited'], text: 'Thank you for sending the items back: part of your return has arrived.' },
] as const;
const keep = { if: 'keep', text: 'You do not need to send anything back.' } as const;
/** What a graded return kept for the condition the goods came back in. */
const kept = [
  {
    if: ['kept', 'changedMind'],
    text: 'Because of the condition the goods came back in, {kept} of their price is kept, as our return terms for a change of mind set out.',
  },
  {
    if: ['kept', '!changedMind'],
    text: 'Because of the condition the goods came back in, {kept} of their price is kept under our return terms.',
  },
] as const;
/** The rest of a return that is still on its way. */
const awaited = [
  { if: 'awaited', text: 'The rest has not reached us yet: {awaitedItems}.' },
  {
    if: ['awaited', 'deadline'],
    text: 'We will write to you again when it arrives or, at the latest, when the return period ends on {deadline}.',
  },
  { if: ['awaited', '!deadline'], text: 'We will write to you again when it arrives or, at the latest, when the return period ends.' },
] as const;
/** Store credit that is part refund, part goodwill: what each part is. */
const creditParts = [
  {
    if: ['bonus', 'refundCredit', 'bonusForCredit'],
    text: 'That is {refundCredit} for your items plus a {bonus} bonus for choosing store credit.',
  },
  { if: ['bonus', 'refundCredit', 'apologyCredit'], text: 'That is {refundCredit} for your items plus {bonus} as an apology from us.' },
  {
    if: ['bonus', 'refundCredit', '!bonusForCredit', '!apologyCredit'],
    text: 'That is {refundCredit} for your items plus {bonus} on top, as a thank-you from us.',
  },
] as const;
/** Store credit that is goodwill only: what it is for. */
const goodwillOnly = [
  { if: ['bonus', '!refundCredit', 'compensation'], text: 'It is our way of making up for the trouble.' },
  { if: ['bonus', '!refundCredit', 'apologyCredit'], text: 'It is our way of saying sorry.' },
  { if: ['bonus', '!refundCredit', '!compensation', '!apologyCredit'], text: 'It is a gift from us.' },
] as const;

/** English, the fallback for every locale that is not written natively. */
export const en: LocaleWording = {
  greeting: 'Dear {name},',
  signature: 'Kind regards,\n{shop}',
  footer: 'Your reference: {claimId}. Please mention it if you write to us.',
  days: { one: '# day', other: '# days' },
  apologies: {
    damaged: 'We are sorry that your order arrived damaged.',
    defective: 'We are sorry that the item turned out to be faulty.',
    not_as_described: 'We are sorry that the item was not what our description promised.',
    wrong_item: 'We are sorry that we sent you the wrong item.',
    missing_item: 'We are sorry that something was missing from your parcel.',
    late_delivery: 'We are sorry that your order arrived late.',
    not_received: 'We are sorry that your order never reached you.',
  },
  reasons: {
    'final-sale': 'These items were sold as final sale, so we cannot take them back for the reason you gave.',
    'return-window': 'The return period for these items had already ended when your claim reached us.',
    'perishable-no-return': 'These items are perishable, so we cannot take them back for the reason you gave.',
    'late-delivery-no-compensation': 'Our policy does not offer compensation for a late delivery.',
    'order-fully-refunded': 'This order has already been refunded in full.',
    'goodwill-budget': 'You have already received as much goodwill credit as our policy allows for this period.',
    currency:
      'Claims in the currency of this order are not settled automatically, so our team reviewed yours personally and could not approve it.',
    review: 'After a careful review, our team could not approve it.',
    other: 'Our returns policy does not cover this case.',
  },
  alternatives: {
    'alternative-contact': 'We would still like to help: a member of our team will get in touch with you to find another solution.',
    'alternative-repair':
      'We can still help: the item can be repaired under the legal guarantee, and a member of our team will get in touch with you to arrange it.',
    'alternative-refund': 'A replacement is not available for this kind of problem, so we are refunding the money instead.',
  },
  deciders: {
    agent: 'a member of our customer care team',
    supervisor: 'a customer care supervisor',
    finance: 'our finance team',
  },
  note: 'A note from the colleague who looked at your claim: “{note}”',
  followUpBy: 'We will get back to you by {followUpBy} at the latest.',
  statusLink: 'Follow your claim at any time: {statusUrl}',
  statusPage: {
    title: 'Your claim for order {order}',
    labels: { status: 'Status', next: 'What happens next', reference: 'Your reference', updated: 'Last updated', granted: 'Granted' },
    stages: {
      assessing: {
        headline: 'We have received your claim and are looking at it.',
        next: 'We will email you as soon as it is decided.',
        nextWithDate: 'We will email you our decision by {date} at the latest.',
      },
      awaiting_approval: {
        headline: 'A member of our team is looking at your claim.',
        next: 'We will email you the decision as soon as it is made.',
        nextWithDate: 'We will email you the decision by {date} at the latest.',
      },
      awaiting_return: {
        headline: 'We are waiting for your return parcel.',
        next: 'Please send the items back as our email describes. We will write to you as soon as the parcel arrives.',
        nextWithDate:
          'Please send the items back as our email describes, so that the parcel reaches us by {date}. We will write to you as soon as it arrives.',
      },
      in_progress: {
        headline: 'Your claim has been approved, and we are carrying out the decision.',
        next: 'We are carrying out the decision as our email described. You do not need to do anything.',
        nextWithDate:
          'We are carrying out the decision as our email described. A member of our team will also get in touch with you by {date} at the latest.',
      },
      settled: {
        headline: 'Your claim is resolved.',
        next: 'Everything we promised has been done, and there is nothing more you need to do. If anything has not reached you, just reply to any of our emails.',
        nextWithDate: 'Everything we promised has been done. A member of our team will also get in touch with you by {date} at the latest.',
      },
      rejected: {
        headline: 'Unfortunately, we could not approve your claim.',
        next: 'Our email explains why, and what we can offer instead. If you would like to talk it through, just reply to it.',
        nextWithDate: 'As our email said, a member of our team will get in touch with you by {date} at the latest.',
      },
      closed: {
        headline: 'We have closed your claim for now: the items to be returned did not reach us by the deadline.',
        next: 'If you have already sent the parcel, reply to our email with its tracking number, and a person from our team will look into it.',
        nextWithDate:
          'A member of our team will get in touch with you by {date} at the latest. If you have already sent the parcel, reply to our email with its tracking number.',
      },
      needs_time: {
        headline: 'The decision on your claim is taking longer than it should. We are sorry for the wait.',
        next: 'A member of our team has been asked to take it up personally and will get in touch with you.',
        nextWithDate:
          'A member of our team has been asked to take it up personally and will get in touch with you by {date} at the latest.',
      },
    },
    invalid: {
      title: 'This link does not work',
      text: 'We could not find a claim for this link. Please use the link in the latest email we sent you about your claim, or reply to any of our emails and we will help.',
    },
    expired: {
      title: 'This link has expired',
      text: 'Links to a claim work for a limited time. Please use the link in the latest email we sent you about your claim, or reply to any of our emails and we will help.',
    },
    grants: { cash: 'a refund of {amount}', credit: '{amount} of store credit', replacement: 'a replacement' },
  },
  cells: {
    refund_without_return: {
      subject: 'Your refund of {cash} for order {order}',
      body: [[thanks, apology], refundNow, 'You do not need to send anything back.', { if: 'alternative', text: '{alternative}' }, reply],
    },
    return_and_refund: {
      subject: 'How to return your items from order {order}',
      body: [
        [thanks, apology],
        [
          'Please send back: {items}. You have {sendBackDays} for the parcel to reach us.',
          { if: 'deadline', text: 'The last day is {deadline}.' },
        ],
        [
          { if: 'returnAddress', text: 'Please send the parcel to:\n{returnAddress}' },
          { if: '!returnAddress', text: 'Reply to this email before you send anything, and we will tell you where to send it.' },
        ],
        [
          { if: 'shopPaysPostage', text: 'We pay the postage for this return.' },
          { if: ['customerPaysPostage', 'changedMind'], text: 'As the return is for a change of mind, the postage is yours to pay.' },
          { if: ['customerPaysPostage', '!changedMind'], text: 'The postage for this return is yours to pay.' },
        ],
        'Put a note with your reference {claimId} inside the parcel, so that we can match it to your claim quickly.',
        [
          { if: 'cash', text: 'As soon as the parcel reaches us, we refund {cash} to the payment method you used.' },
          { if: ['credit', '!cash'], text: 'As soon as the parcel reaches us, we issue {credit} of store credit for you.' },
          { if: ['credit', 'cash'], text: 'We also issue {credit} of store credit for you.' },
          { if: 'replacement', text: 'As soon as the parcel reaches us, we send you a replacement.' },
          {
            if: 'conditionDeductions',
            text: 'If an item does not come back in new condition, part of its price may be kept under our return terms.',
          },
        ],
        reply,
      ],
    },
    refund_after_return: {
      subject: 'Your return has arrived: {cash} refunded for order {order}',
      body: [
        [
          { if: '!awaited', text: 'Thank you for sending the items from order {order} back: your parcel has arrived.' },
          { if: 'awaited', text: 'Thank you for sending the items from order {order} back: part of your return has arrived.' },
          apology,
        ],
        [refundNow, ...kept],
        awaited,
        { if: 'alternative', text: '{alternative}' },
        { if: '!awaited', text: 'There is nothing else you need to do.' },
        reply,
      ],
    },
    replacement: {
      subject: 'We are sending a replacement for order {order}',
      body: [
        [thanks, apology],
        'We are sending you a replacement at no cost: {items}. We will let you know as soon as it ships.',
        returned,
        [
          { if: 'credit', text: 'We are also issuing {credit} of store credit for you.' },
          ...goodwillOnly,
          { if: 'credit', text: creditReady },
        ],
        awaited,
        reply,
      ],
    },
    store_credit: {
      subject: '{credit} of store credit for order {order}',
      body: [
        [thanks, apology],
        ['As you asked, we are issuing {credit} of store credit for you.', ...creditParts, ...goodwillOnly],
        kept,
        'We will email you as soon as it is ready to use on your next order.',
        returned,
        awaited,
        keep,
        reply,
      ],
    },
    goodwill: {
      subject: '{credit} of store credit from us for order {order}',
      body: [
        [thanks, apology],
        [
          'We are issuing {credit} of store credit for you.',
          ...goodwillOnly,
          'We will email you as soon as it is ready to use on your next order.',
        ],
        'Your order is yours to keep; there is nothing to send back.',
        reply,
      ],
    },
    apology: {
      subject: 'About your order {order}',
      body: [
        [thanks, apology],
        'We have passed your feedback to the team responsible and asked them to look at it; a member of our team will get in touch with you about it.',
        'If you would like us to do more, just reply to this email and a person from our team will answer.',
      ],
    },
    cash_and_credit: {
      subject: 'Your refund of {cash} and {credit} of store credit for order {order}',
      body: [
        [thanks, apology],
        [refundNow, ...kept],
        ['We are also issuing {credit} of store credit for you.', ...creditParts, ...goodwillOnly, creditReady],
        returned,
        awaited,
        keep,
        { if: 'alternative', text: '{alternative}' },
        reply,
      ],
    },
    rejection: {
      subject: 'About your claim for order {order}',
      body: [
        ['Thank you for getting in touch about order {order}.', apology],
        'We have looked at your claim carefully, and unfortunately we cannot grant it. {reason}',
        '{alternative}',
        'If you would like to talk it through, just reply to this email.',
      ],
    },
    more_time: {
      subject: 'The decision on your claim for order {order} is taking longer',
      body: [
        ['Thank you for your patience with your claim for order {order}.', apology],
        'We are sorry that the decision is taking longer than it should. We have asked a member of our team to take it up personally, and they will get in touch with you.',
        'You do not need to do anything. If you have a question in the meantime, just reply to this email.',
      ],
    },
    return_not_received: {
      subject: 'The return for order {order}',
      body: [
        ['Thank you for your claim about order {order}.', apology],
        [
          {
            if: ['deadline', 'missing'],
            text: 'The return period ended on {deadline}, and the following has not reached us: {missingItems}.',
          },
          { if: ['!deadline', 'missing'], text: 'The return period has ended, and the following has not reached us: {missingItems}.' },
          {
            if: ['deadline', '!missing', '!refundedPart'],
            text: 'The return period ended on {deadline}, and your parcel has not reached us.',
          },
          { if: ['!deadline', '!missing', '!refundedPart'], text: 'The return period has ended, and your parcel has not reached us.' },
          {
            if: ['deadline', '!missing', 'refundedPart'],
            text: 'The return period ended on {deadline}, and the rest of your return has not reached us.',
          },
          {
            if: ['!deadline', '!missing', 'refundedPart'],
            text: 'The return period has ended, and the rest of your return has not reached us.',
          },
          { if: '!refundedPart', text: 'So for now we have closed the claim without a refund.' },
          {
            if: 'refundedPart',
            text: 'We have already refunded {refundedPart} for the items that did arrive, as our earlier email said. For the items that have not arrived, we have closed the claim without a refund for now.',
          },
        ],
        'If you have already sent the parcel, reply to this email with its tracking number and a person from our team will look into it straight away.',
      ],
    },
    credit_issued: {
      subject: 'Your store credit of {credit} for order {order} is ready',
      body: [
        [
          'Good news about order {order}: your store credit of {credit} is ready.',
          { if: 'creditCode', text: 'Your code is {creditCode}. Enter it at checkout on your next order.' },
          { if: '!creditCode', text: 'You can use it on your next order.' },
        ],
        'Thank you for your patience, and for shopping with us.',
        reply,
      ],
    },
    replacement_shipped: {
      subject: 'Your replacement for order {order} is on its way',
      body: [
        ['Thank you for your patience with order {order}.', apology],
        ['Your replacement is on its way: {items}.', { if: 'tracking', text: 'The tracking details for the parcel: {tracking}.' }],
        reply,
      ],
    },
    payout_failed: {
      subject: 'About your refund of {cash} for order {order}',
      body: [
        'We tried to refund {cash} to the payment method you used for order {order}, but the payment did not go through.',
        [
          'So that you are not left waiting, we are issuing {credit} of store credit for you instead.',
          { if: 'bonus', text: 'That is {cash} plus a {bonus} bonus.' },
          creditReady,
        ],
        {
          if: 'cashOnRequest',
          text: 'If you would rather have the money, just reply to this email and we will refund {cash} instead of the credit.',
        },
        'We are sorry for the trouble. Thank you for your patience.',
        { if: '!cashOnRequest', text: reply },
      ],
    },
    cash_again: {
      subject: 'Your refund of {cash} for order {order}',
      body: [
        [
          'Thank you for letting us know.',
          'As you asked, we are refunding {cash} to the payment method you used for order {order}, instead of the store credit.',
          bankDays,
        ],
        { if: 'revokedCode', text: 'This means that the credit code {revokedCode} no longer works.' },
        reply,
      ],
    },
    acknowledged: {
      subject: 'We have received your claim for order {order}',
      body: [
        ['Thank you for getting in touch about order {order}. We have received your claim for: {items}.', apology],
        [
          { if: 'decideBy', text: 'Next, {decider} will look at it and decide by {decideBy} at the latest.' },
          { if: '!decideBy', text: 'Next, {decider} will look at it and decide.' },
        ],
        'We will email you the decision as soon as it is made. You do not need to do anything in the meantime.',
        reply,
      ],
    },
  },
};
