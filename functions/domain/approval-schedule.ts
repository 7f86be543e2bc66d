/**
 * When a tier's approvers are reminded. Every tier gets exactly one reminder: after three
 * quarters of its wait, so with the demo's 48 hours the reminder goes out 36 hours in and leaves
 * 12 hours to act. A share rather than a fixed lead time works for any `waitHours` a policy sets,
 * from minutes (tests) to weeks, and needs no extra policy field.
 */
export const REMINDER_SHARE = 0.75;

/** How one approval round's wait is split around its reminder, in whole seconds. */
export interface ApprovalSchedule {
  /** From the request to the deadline: the links expire then and the round escalates. */
  readonly waitSeconds: number;
  /** From the request to the reminder. */
  readonly remindAfterSeconds: number;
  /** From the reminder to the deadline. */
  readonly afterReminderSeconds: number;
}

/**
 * Splits a tier's wait around its reminder. Step Functions times tasks in whole seconds, each part
 * at least 1, so a wait under two seconds is stretched to two; the parts always add up to the wait.
 */
export function approvalSchedule(waitHours: number): ApprovalSchedule {
  const waitSeconds = Math.max(2, Math.round(waitHours * 3600));
  const remindAfterSeconds = Math.min(waitSeconds - 1, Math.max(1, Math.floor(waitSeconds * REMINDER_SHARE)));
  return { waitSeconds, remindAfterSeconds, afterReminderSeconds: waitSeconds - remindAfterSeconds };
}
