import { emailTagNames, encodeTagValue } from '#domain/mail-tags.ts';

/** SES bounce and complaint events for the tests, shaped as SES's event publishing record inside EventBridge's envelope. */

/** An SES `Email Bounced` event as EventBridge delivers it (fields as SES's event publishing record names them). */
export function bounceEvent(over: { tags?: Record<string, string[]>; bounceType?: string; recipient?: string; messageId?: string } = {}) {
  return {
    version: '0',
    id: 'evt-1',
    'detail-type': 'Email Bounced',
    source: 'aws.ses',
    account: '123456789012',
    time: '2026-11-10T12:00:05Z',
    region: 'eu-west-1',
    resources: ['arn:aws:ses:eu-west-1:123456789012:configuration-set/makegood-mail'],
    detail: {
      eventType: 'Bounce',
      bounce: {
        feedbackId: 'fb-bounce-1',
        bounceType: over.bounceType ?? 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [
          { emailAddress: over.recipient ?? 'ann@example.com', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550' },
        ],
        timestamp: '2026-11-10T12:00:04.000Z',
        reportingMTA: 'dsn; mta.example.com',
      },
      mail: {
        timestamp: '2026-11-10T12:00:00.000Z',
        source: 'care@demo.test',
        messageId: over.messageId ?? 'msg-1',
        destination: [over.recipient ?? 'ann@example.com'],
        headersTruncated: false,
        tags: over.tags ?? {
          'ses:configuration-set': ['makegood-mail'],
          [emailTagNames.claim]: ['clm_1'],
          [emailTagNames.step]: [encodeTagValue('email:outcome')],
        },
      },
    },
  };
}

/** An SES `Email Complaint Received` event. */
export function complaintEvent(over: { recipient?: string } = {}) {
  return {
    version: '0',
    id: 'evt-2',
    'detail-type': 'Email Complaint Received',
    source: 'aws.ses',
    account: '123456789012',
    time: '2026-11-10T13:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      eventType: 'Complaint',
      complaint: {
        feedbackId: 'fb-complaint-1',
        complainedRecipients: [{ emailAddress: over.recipient ?? 'ann@example.com' }],
        timestamp: '2026-11-10T12:59:00.000Z',
        complaintFeedbackType: 'abuse',
      },
      mail: {
        timestamp: '2026-11-10T12:00:00.000Z',
        messageId: 'msg-1',
        destination: [over.recipient ?? 'ann@example.com'],
        tags: { [emailTagNames.claim]: ['clm_1'], [emailTagNames.step]: [encodeTagValue('email:outcome')] },
      },
    },
  };
}
