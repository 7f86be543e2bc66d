import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { TerminalError } from './errors.ts';

/**
 * ASL preparation: checks a definition against what the embedded engine can run faithfully and
 * derives the definition the library runs. The two differ only in timeouts: the execution's
 * TimeoutSeconds is removed (the engine enforces it), and each callback task or
 * TimeoutSecondsPath task reads its timeout from a parameter the engine sets, because the library
 * reads `TimeoutSecondsPath` from the Parameters output rather than the state input
 * (main.node.esm.js:2395-2416) and overflows Node's timer on waits above 2^31-1 ms
 * (main.node.esm.js:3054).
 */

/** A workflow task function: the same handler Lambda runs, called in-process with the Payload. */
export type TaskFunction = (event: unknown) => Promise<unknown>;

/** What the engine knows about one Task state. */
export interface TaskInfo {
  readonly name: string;
  readonly callback: boolean;
  readonly placeholder: string;
  readonly fn: TaskFunction;
  /** Where the original timeout came from, for error messages. */
  readonly timeoutSource: string;
}

/** The definition, checked and prepared for the library. */
export interface Plan {
  /** The definition the library runs: same flow, engine-managed timeouts. */
  readonly runnable: StateMachineDefinition;
  readonly tasks: ReadonlyMap<string, TaskInfo>;
  /** Top-level state name → names of the states nested in it (Parallel branches, Map). */
  readonly topLevel: ReadonlyMap<string, ReadonlySet<string>>;
  readonly startAt: string;
  readonly executionTimeoutSeconds: number | undefined;
}

/** Parameter the engine adds to managed-timeout Tasks; the library reads the timeout from it. */
export const TIMEOUT_PARAM = '__makegoodTimeoutSeconds';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
/** What AWS applies to a Task without TimeoutSeconds (about three years). */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;

/**
 * Checks the definition and derives the one the library runs (see the module comment).
 * @param maxLibraryTimeout the longest TimeoutSeconds the library may be given, in seconds.
 * @throws Error naming the state, when a Task is not a `lambda:invoke` of a `${…}` placeholder
 *   that has a function, or when the definition uses something the engine cannot run faithfully.
 */
export function prepare(definition: object, functions: Readonly<Record<string, TaskFunction>>, maxLibraryTimeout: number): Plan {
  // Structural validation by the library's own validator (asl-validator), before anything else.
  new StateMachine(definition as StateMachineDefinition);
  const root = structuredClone(definition) as Record<string, unknown>;
  const tasks = new Map<string, TaskInfo>();
  const topLevel = new Map<string, Set<string>>();
  const seen = new Set<string>();

  rejectUnsupportedLanguage(root, 'the definition');
  const visit = (machine: Record<string, unknown>, nestedIn: Set<string> | undefined): void => {
    const states = machine.States as Record<string, Record<string, unknown>>;
    for (const [name, state] of Object.entries(states)) {
      if (seen.has(name)) {
        // The library keys Task overrides by state name, across branches too.
        throw new Error(`State name "${name}" is used more than once; names must be unique in the whole definition`);
      }
      seen.add(name);
      nestedIn?.add(name);
      const inner = nestedIn ?? new Set<string>();
      if (!nestedIn) topLevel.set(name, inner);
      rejectUnsupportedLanguage(state, `state "${name}"`);
      switch (state.Type) {
        case 'Task':
          tasks.set(name, prepareTask(name, state, functions, maxLibraryTimeout));
          break;
        case 'Wait':
          throw new Error(
            `Wait state "${name}" is not supported by the embedded engine: a restart would wait its full ` +
              'time again. Use a callback task with a timeout instead.',
          );
        case 'Parallel':
          for (const branch of state.Branches as Record<string, unknown>[]) visit(branch, inner);
          break;
        case 'Map':
          visit((state.ItemProcessor ?? state.Iterator) as Record<string, unknown>, inner);
          break;
        default:
          break;
      }
    }
  };
  visit(root, undefined);

  const timeout = root.TimeoutSeconds;
  delete root.TimeoutSeconds;
  return {
    runnable: root as unknown as StateMachineDefinition,
    tasks,
    topLevel,
    startAt: root.StartAt as string,
    executionTimeoutSeconds: typeof timeout === 'number' ? timeout : undefined,
  };
}

function rejectUnsupportedLanguage(node: Record<string, unknown>, where: string): void {
  // The library ignores these silently; running a definition that relies on them would be wrong.
  if (node.QueryLanguage === 'JSONata' || 'Assign' in node || 'Arguments' in node || 'Output' in node) {
    throw new Error(`${where} uses JSONata or variables (QueryLanguage/Assign/Arguments/Output), which the embedded engine cannot run`);
  }
}

/**
 * Checks one Task state and rewrites its timeout in place (the state is the caller's copy).
 * @throws Error naming the state when the engine cannot run it.
 */
export function prepareTask(
  name: string,
  state: Record<string, unknown>,
  functions: Readonly<Record<string, TaskFunction>>,
  maxLibraryTimeout: number,
): TaskInfo {
  const resource = state.Resource;
  if (resource !== LAMBDA_INVOKE && resource !== LAMBDA_INVOKE_WAIT) {
    throw new Error(
      `Task state "${name}" has Resource ${JSON.stringify(resource)}; ` +
        `the embedded engine runs only ${LAMBDA_INVOKE} and ${LAMBDA_INVOKE_WAIT}`,
    );
  }
  const parameters = state.Parameters;
  if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)) {
    throw new Error(`Task state "${name}" has no Parameters with a FunctionName`);
  }
  const params = parameters as Record<string, unknown>;
  const functionName = params.FunctionName;
  const placeholder = typeof functionName === 'string' ? /^\$\{([A-Za-z0-9_]+)\}$/.exec(functionName)?.[1] : undefined;
  if (placeholder === undefined) {
    const given = JSON.stringify(functionName ?? params['FunctionName.$']);
    throw new Error(`Task state "${name}" must name its function with a \${…} placeholder, not ${given}`);
  }
  const fn = functions[placeholder];
  if (typeof fn !== 'function') {
    throw new Error(
      `Task state "${name}" invokes \${${placeholder}}, but no function named ${placeholder} was given to the embedded engine`,
    );
  }
  if ('HeartbeatSeconds' in state || 'HeartbeatSecondsPath' in state) {
    throw new Error(`Task state "${name}" sets a heartbeat, which the embedded engine does not enforce`);
  }
  const callback = resource === LAMBDA_INVOKE_WAIT;
  if (callback && !mentionsTaskToken(params)) {
    throw new Error(`Task state "${name}" waits for a task token but does not pass $$.Task.Token in its Parameters`);
  }

  let timeoutSource: string;
  if (callback || 'TimeoutSecondsPath' in state) {
    if (typeof state.TimeoutSecondsPath === 'string') {
      params[`${TIMEOUT_PARAM}.$`] = state.TimeoutSecondsPath;
      timeoutSource = `TimeoutSecondsPath ${state.TimeoutSecondsPath}`;
    } else {
      params[TIMEOUT_PARAM] = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : AWS_DEFAULT_TASK_TIMEOUT_SECONDS;
      timeoutSource = 'TimeoutSeconds';
    }
    delete state.TimeoutSeconds;
    state.TimeoutSecondsPath = `$.${TIMEOUT_PARAM}`;
  } else {
    const seconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : AWS_DEFAULT_TASK_TIMEOUT_SECONDS;
    state.TimeoutSeconds = Math.min(seconds, maxLibraryTimeout);
    timeoutSource = 'TimeoutSeconds';
  }
  return { name, callback, placeholder, fn, timeoutSource };
}

function mentionsTaskToken(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(mentionsTaskToken);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([key, v]) => (key.endsWith('.$') && v === '$$.Task.Token') || mentionsTaskToken(v));
  }
  return false;
}

/**
 * The timeout, in seconds, that the prepared definition gives a managed-timeout Task, read from
 * the Task's parameters as the library resolved them.
 * @throws TerminalError when it is not a positive integer (a bad TimeoutSecondsPath value).
 */
export function readTimeout(params: Readonly<Record<string, unknown>>, info: TaskInfo): number {
  const value = params[TIMEOUT_PARAM];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TerminalError(
      'States.Runtime',
      `The ${info.timeoutSource} of state "${info.name}" must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
