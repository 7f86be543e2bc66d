/**
 * House rules for the workflow definition that a schema validator does not check. The same ASL
 * runs on AWS Step Functions and in the embedded runner (aws-local-stepfunctions), so it must stay
 * inside what both execute identically, and every Task must be safe to run against real services.
 * A pure function: it reads a parsed definition and returns every problem it finds.
 */

/** What kind of rule a problem breaks; tests and tooling match on this, people read `message`. */
export type AslProblemCode =
  | 'query-language'
  | 'assign'
  | 'jsonata-expression'
  | 'task-timeout'
  | 'task-retry'
  | 'retry-jitter'
  | 'retry-backoff'
  | 'task-catch'
  | 'unknown-error'
  | 'missing-target'
  | 'unreachable-state';

/** One broken rule, located by a JSON path into the definition (`States.Assess.Retry[0]`). */
export interface AslProblem {
  readonly code: AslProblemCode;
  readonly path: string;
  readonly message: string;
}

/** What the lint needs besides the definition. */
export interface AslLintOptions {
  /**
   * Error names the workflow's functions can throw (the `ErrorNames` of functions/domain/errors.ts).
   * A Retry or Catch may name these, `States.*` errors and `Lambda.*` errors, nothing else.
   */
  readonly errorNames: Iterable<string>;
}

/**
 * The predefined Step Functions errors. A known list rather than a `States.` prefix check, so a
 * typo such as `States.Timout` is caught instead of silently never matching.
 */
export const statesErrorNames: ReadonlySet<string> = new Set([
  'States.ALL',
  'States.DataLimitExceeded',
  'States.ExceedToleratedFailureThreshold',
  'States.HeartbeatTimeout',
  'States.Http.Socket',
  'States.IntrinsicFailure',
  'States.ItemReaderFailed',
  'States.NoChoiceMatched',
  'States.ParameterPathFailure',
  'States.Permissions',
  'States.QueryEvaluationError',
  'States.ResultPathMatchFailure',
  'States.ResultWriterFailed',
  'States.TaskFailed',
  'States.Timeout',
  'States.BranchFailed',
]);

/** Errors raised by the Lambda service or SDK around an invocation: `Lambda.<ExceptionName>`. */
const lambdaErrorName = /^Lambda\.[A-Z][A-Za-z]+$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns every problem in `definition`; an empty list means it follows the house rules. */
export function lintAsl(definition: unknown, options: AslLintOptions): AslProblem[] {
  const problems: AslProblem[] = [];
  const report = (code: AslProblemCode, path: string, message: string) => problems.push({ code, path, message });
  const errorNames = new Set(options.errorNames);

  findJsonPathOnlyViolations(definition, '$', report);
  if (!isObject(definition)) {
    report('missing-target', '$', 'The definition is not an object with StartAt and States');
    return problems;
  }
  lintMachine(definition, '', errorNames, report);
  return problems;
}

type Report = (code: AslProblemCode, path: string, message: string) => void;

/** The in-process runner ignores JSONata and variables without an error, so neither may appear. */
function findJsonPathOnlyViolations(value: unknown, path: string, report: Report): void {
  if (typeof value === 'string') {
    if (/^\s*\{%[\s\S]*%\}\s*$/.test(value)) {
      report('jsonata-expression', path, `${path} is a JSONata expression; this workflow is JSONPath only`);
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      findJsonPathOnlyViolations(item, `${path}[${i}]`, report);
    });
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path === '$' ? key : `${path}.${key}`;
    if (key === 'QueryLanguage') {
      report('query-language', childPath, `${childPath}: QueryLanguage is not allowed; the local runner only speaks JSONPath`);
    } else if (key === 'Assign') {
      report('assign', childPath, `${childPath}: Assign (workflow variables) is silently ignored by the local runner`);
    }
    findJsonPathOnlyViolations(child, childPath, report);
  }
}

/** Lints one state machine scope: the top level, a Parallel branch or a Map's item processor. */
function lintMachine(machine: JsonObject, prefix: string, errorNames: ReadonlySet<string>, report: Report): void {
  const statesPath = `${prefix}States`;
  const states = isObject(machine.States) ? machine.States : {};
  const names = new Set(Object.keys(states));
  const startAt = machine.StartAt;
  const edges = new Map<string, string[]>();

  const target = (path: string, next: Json | undefined, from: string) => {
    if (next === undefined) return;
    if (typeof next !== 'string' || !names.has(next)) {
      report('missing-target', path, `${path} names ${JSON.stringify(next)}, which is not a state of ${statesPath}`);
      return;
    }
    edges.get(from)?.push(next);
  };

  if (typeof startAt !== 'string' || !names.has(startAt)) {
    report(
      'missing-target',
      `${prefix}StartAt`,
      `${prefix}StartAt names ${JSON.stringify(startAt)}, which is not a state of ${statesPath}`,
    );
  }

  for (const [name, state] of Object.entries(states)) {
    const path = `${statesPath}.${name}`;
    edges.set(name, []);
    if (!isObject(state)) continue;
    target(`${path}.Next`, state.Next, name);
    target(`${path}.Default`, state.Default, name);
    if (Array.isArray(state.Choices)) {
      state.Choices.forEach((choice, i) => {
        if (isObject(choice)) target(`${path}.Choices[${i}].Next`, choice.Next, name);
      });
    }
    if (Array.isArray(state.Catch)) {
      state.Catch.forEach((catcher, i) => {
        if (isObject(catcher)) target(`${path}.Catch[${i}].Next`, catcher.Next, name);
      });
    }
    if (state.Type === 'Task') lintTask(state, path, report);
    lintErrorNames(state, path, errorNames, report);
    if (Array.isArray(state.Branches)) {
      state.Branches.forEach((branch, i) => {
        if (isObject(branch)) lintMachine(branch, `${path}.Branches[${i}].`, errorNames, report);
      });
    }
    for (const key of ['ItemProcessor', 'Iterator'] as const) {
      const inner = state[key];
      if (isObject(inner)) lintMachine(inner, `${path}.${key}.`, errorNames, report);
    }
  }

  if (typeof startAt === 'string' && names.has(startAt)) {
    const reached = new Set<string>([startAt]);
    const queue = [startAt];
    for (let current = queue.pop(); current !== undefined; current = queue.pop()) {
      for (const next of edges.get(current) ?? []) {
        if (!reached.has(next)) {
          reached.add(next);
          queue.push(next);
        }
      }
    }
    for (const name of names) {
      if (!reached.has(name)) {
        report('unreachable-state', `${statesPath}.${name}`, `${statesPath}.${name} cannot be reached from StartAt ${startAt}`);
      }
    }
  }
}

/** A Task calls a real service: it must time out, retry transient failures with jitter, and catch. */
function lintTask(task: JsonObject, path: string, report: Report): void {
  if (task.TimeoutSeconds === undefined && task.TimeoutSecondsPath === undefined) {
    report('task-timeout', path, `${path} has no TimeoutSeconds or TimeoutSecondsPath (AWS waits forever, the local runner 60 s)`);
  }
  if (!Array.isArray(task.Retry) || task.Retry.length === 0) {
    report('task-retry', path, `${path} has no Retry`);
  } else {
    task.Retry.forEach((retrier, i) => {
      const retryPath = `${path}.Retry[${i}]`;
      if (!isObject(retrier) || retrier.JitterStrategy !== 'FULL') {
        report('retry-jitter', retryPath, `${retryPath} does not set JitterStrategy "FULL"`);
      }
      if (!isObject(retrier) || typeof retrier.BackoffRate !== 'number') {
        report('retry-backoff', retryPath, `${retryPath} does not set BackoffRate`);
      }
    });
  }
  if (!Array.isArray(task.Catch) || task.Catch.length === 0) {
    report('task-catch', path, `${path} has no Catch`);
  }
}

/** Every name in a Retry or Catch must be one the workflow can actually see. */
function lintErrorNames(state: JsonObject, path: string, errorNames: ReadonlySet<string>, report: Report): void {
  for (const field of ['Retry', 'Catch'] as const) {
    const handlers = state[field];
    if (!Array.isArray(handlers)) continue;
    handlers.forEach((handler, i) => {
      if (!isObject(handler) || !Array.isArray(handler.ErrorEquals)) return;
      handler.ErrorEquals.forEach((name, j) => {
        const known = typeof name === 'string' && (statesErrorNames.has(name) || lambdaErrorName.test(name) || errorNames.has(name));
        if (!known) {
          const at = `${path}.${field}[${i}].ErrorEquals[${j}]`;
          report(
            'unknown-error',
            at,
            `${at} is ${JSON.stringify(name)}: not a States.* error, a Lambda.* error or one of the exported ErrorNames`,
          );
        }
      });
    });
  }
}
