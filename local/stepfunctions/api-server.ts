import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '#local/read-body.ts';
import type { ExecutionRecord } from './checkpoint-store.ts';
import type { StepFunctionsEngine } from './engine.ts';
import { errorMessage, StepFunctionsError } from './errors.ts';

/**
 * The Step Functions API on loopback: the AWS JSON 1.0 protocol (`POST /`,
 * `X-Amz-Target: AWSStepFunctions.<Operation>`) that the unmodified `SFNClient` speaks, with
 * AWS's error shapes (`__type` names the exception class the SDK throws). It serves
 * StartExecution, DescribeExecution, StopExecution and SendTaskSuccess / Failure / Heartbeat.
 */

/** What the server needs of the engine. */
export type StepFunctionsApi = Pick<
  StepFunctionsEngine,
  'stateMachineArn' | 'startExecution' | 'stopExecution' | 'describe' | 'sendTaskSuccess' | 'sendTaskFailure' | 'sendTaskHeartbeat'
>;

const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
const ARN_PATTERN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(stateMachine|execution):.+$/;
const LOOPBACK = ['127.0.0.1', '::1', 'localhost'];

/** Serves one engine's API; {@link listen} once, {@link close} to stop. */
export class StepFunctionsApiServer {
  private server: Server | undefined;

  /** @param log receives a line for each request that failed inside the engine. */
  constructor(
    private readonly engine: StepFunctionsApi,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /**
   * Starts listening.
   * @param port 0 picks a free port.
   * @param host must be a loopback address: the API has no authentication.
   * @returns the endpoint URL, e.g. `http://127.0.0.1:41234`.
   */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    if (!LOOPBACK.includes(host)) throw new Error(`LocalStepFunctions only listens on loopback, not ${host}`);
    if (this.server) throw new Error('LocalStepFunctions is already listening');
    const server = createServer((req, res) => {
      void this.serve(req, res);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${hostPart}:${address.port}`;
  }

  /**
   * Stops accepting requests and drops open connections at once; resolves when the server has
   * closed. Idempotent.
   */
  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    return closed;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': requestId,
      });
      res.end(text);
    };
    try {
      if (req.method !== 'POST' || (req.url ?? '/') !== '/') {
        throw new StepFunctionsError('UnknownOperationException', 'Only POST / is served', 404);
      }
      const target = req.headers['x-amz-target'];
      const prefix = 'AWSStepFunctions.';
      const operation = typeof target === 'string' && target.startsWith(prefix) ? target.slice(prefix.length) : undefined;
      if (operation === undefined) {
        throw new StepFunctionsError('UnknownOperationException', 'Missing or foreign X-Amz-Target');
      }
      const raw = await readBody(req, MAX_REQUEST_BYTES);
      if (raw === undefined) throw new StepFunctionsError('ValidationException', 'Request body too large', 413);
      let body: unknown;
      try {
        body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
      } catch {
        throw new StepFunctionsError('SerializationException', 'Request body is not JSON');
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        throw new StepFunctionsError('SerializationException', 'Request body must be a JSON object');
      }
      send(200, await this.dispatch(operation, body as Record<string, unknown>));
    } catch (error) {
      if (error instanceof StepFunctionsError) {
        send(error.status, { __type: `com.amazonaws.swf.service.v2.model#${error.name}`, message: error.message });
      } else {
        this.log(`stepfunctions: request failed: ${errorMessage(error)}`);
        send(500, { __type: 'com.amazonaws.swf.service.v2.model#InternalFailure', message: 'Internal failure' });
      }
    }
  }

  private async dispatch(operation: string, body: Record<string, unknown>): Promise<object> {
    const engine = this.engine;
    switch (operation) {
      case 'StartExecution': {
        const arn = requireString(body, 'stateMachineArn');
        if (!ARN_PATTERN.test(arn)) throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${arn}'`);
        if (arn !== engine.stateMachineArn) {
          throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
        }
        const name = requireString(body, 'name');
        const input = optionalString(body, 'input') ?? '{}';
        const started = await engine.startExecution(name, input);
        return { executionArn: started.executionArn, startDate: started.startDate.getTime() / 1000 };
      }
      case 'DescribeExecution': {
        const name = this.nameFromExecutionArn(body.executionArn);
        const record = engine.describe(name);
        if (!record) throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${name}'`);
        return describeResponse(record);
      }
      case 'StopExecution': {
        const name = this.nameFromExecutionArn(body.executionArn);
        const stopped = await engine.stopExecution(name, optionalString(body, 'error'), optionalString(body, 'cause'));
        return { stopDate: stopped.stopDate.getTime() / 1000 };
      }
      case 'SendTaskSuccess':
        await engine.sendTaskSuccess(requireString(body, 'taskToken'), requireString(body, 'output'));
        return {};
      case 'SendTaskFailure':
        await engine.sendTaskFailure(requireString(body, 'taskToken'), optionalString(body, 'error'), optionalString(body, 'cause'));
        return {};
      case 'SendTaskHeartbeat':
        await engine.sendTaskHeartbeat(requireString(body, 'taskToken'));
        return {};
      default:
        throw new StepFunctionsError('UnknownOperationException', `The embedded engine has no ${operation}`);
    }
  }

  private nameFromExecutionArn(arn: unknown): string {
    if (typeof arn !== 'string' || !ARN_PATTERN.test(arn)) {
      throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    }
    const prefix = `${this.engine.stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
    const name = arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
    if (name === undefined || this.engine.describe(name) === undefined) {
      throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    }
    return name;
  }
}

function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string') {
    throw new StepFunctionsError(
      'ValidationException',
      `1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new StepFunctionsError('ValidationException', `Value at '${key}' must be a string`);
  }
  return value;
}

function describeResponse(record: ExecutionRecord): object {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: Date.parse(record.startDate) / 1000,
    ...(record.stopDate ? { stopDate: Date.parse(record.stopDate) / 1000 } : {}),
    input: record.input,
    inputDetails: { included: true },
    ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
    redriveCount: 0,
  };
}
