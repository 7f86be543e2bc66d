import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { RUNTIME_FILE, repoRoot } from '#local/stack.ts';
import { DEMO_SECRET } from '../integration/harness.ts';

/** The finance bearer key the crash suite's stack is started with. */
export const FINANCE_KEY = 'crash-finance-key';

/** What a running generation of the stack serves, from the `runtime.json` it wrote. */
export interface Endpoints {
  /** The API, as the emails' links name it (MAKEGOOD_PUBLIC_URL). */
  readonly apiUrl: string;
  /** The SES emulator, whose `/store` is the mailbox. */
  readonly mailUrl: string;
  readonly dynamodbUrl: string;
  readonly env: Readonly<Record<string, string>>;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `npm start` as a real child process on one data directory, killed with SIGKILL and started
 * again on the same directory. The child is `node --import tsx local/main.ts`, spawned detached
 * so that it leads its own process group and `process.kill(-pid)` reaches all of it.
 *
 * The API keeps one port for the whole run (a deployed API keeps its URL too, so the approval
 * links in old emails still reach it); the mailbox, dynalite and the workflow engine take a new
 * port on each start, read back from `runtime.json`.
 *
 * Clients call {@link up} before each request: it resolves with the endpoints once the current
 * generation answers `GET /health`, and waits through a restart.
 */
export class StackProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private current: Promise<Endpoints> | undefined;
  /** Starts so far (the first one included). */
  starts = 0;
  /** SIGKILLs sent so far. */
  kills = 0;
  /** Bumped on every kill: a request that began in an older generation may have been cut off. */
  generation = 0;
  /** Why a generation could not start, when it was not because it was killed while starting. */
  startFailure: string | undefined;

  constructor(
    readonly dataDir: string,
    private readonly logDir: string,
    private readonly apiPort: number,
  ) {}

  /** The endpoints once the current generation is healthy (waits through a restart). */
  up(): Promise<Endpoints> {
    if (!this.current) throw new Error('the stack was never started');
    return this.current;
  }

  /**
   * Starts a generation on the data directory. The previous one's `runtime.json` (a killed stack
   * leaves it behind) is removed first, so the endpoints read back are this generation's.
   */
  start(): Promise<Endpoints> {
    const generation = this.generation;
    this.current = this.boot().catch((err: unknown) => {
      if (this.generation === generation) this.startFailure = err instanceof Error ? err.message : String(err);
      throw err;
    });
    // Clients waiting on a boot that gets killed are carried over to the next one (see `kill`).
    this.current.catch(() => {});
    return this.current;
  }

  private async boot(): Promise<Endpoints> {
    await rm(join(this.dataDir, RUNTIME_FILE), { force: true });
    this.starts += 1;
    const generation = this.generation;
    const log = createWriteStream(join(this.logDir, `stack-${String(this.starts).padStart(3, '0')}.log`));
    this.log = log;
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        MAKEGOOD_DATA_DIR: this.dataDir,
        MAKEGOOD_PORT: String(this.apiPort),
        MAKEGOOD_MAIL_PORT: '0',
        MAKEGOOD_DEMO_SECRET: DEMO_SECRET,
        MAKEGOOD_FINANCE_KEY: FINANCE_KEY,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    this.child = child;
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
      log.write(d);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    for (let i = 0; ; i++) {
      if (this.generation !== generation) throw new Error('killed while starting');
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the stack exited while starting (${child.exitCode ?? child.signalCode}):\n${output}`);
      }
      if (i > 1200) throw new Error(`the stack did not answer GET /health within 120 s:\n${output}`);
      const endpoints = await readEndpoints(this.dataDir);
      if (endpoints && output.includes('makegood is running')) {
        const healthy = await fetch(`${endpoints.apiUrl}/health`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (healthy) return endpoints;
      }
      await sleep(100);
    }
  }

  /**
   * `kill -9` of the whole process group, at whatever instant this is called; then a new
   * generation starts on the same data directory. Requests in flight are cut off mid-way.
   */
  async killAndRestart(): Promise<void> {
    await this.killHard();
    await this.start();
  }

  /** SIGKILL to the child's process group, and wait for it to be gone. */
  async killHard(): Promise<void> {
    const child = this.child;
    this.generation += 1;
    if (!child || child.pid === undefined) return;
    this.kills += 1;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    }
    this.log?.end();
  }

  /** A clean stop (SIGTERM, as Ctrl-C): the stack saves what it keeps in memory and exits. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, 15_000);
    await exited;
    clearTimeout(timer);
    this.log?.end();
  }
}

async function readEndpoints(dataDir: string): Promise<Endpoints | undefined> {
  try {
    const env = JSON.parse(await readFile(join(dataDir, RUNTIME_FILE), 'utf8')) as Record<string, string>;
    const { MAKEGOOD_PUBLIC_URL: apiUrl, MAKEGOOD_SES_ENDPOINT: mailUrl, MAKEGOOD_DYNAMODB_ENDPOINT: dynamodbUrl } = env;
    if (!apiUrl || !mailUrl || !dynamodbUrl) return undefined;
    return { apiUrl, mailUrl, dynamodbUrl, env };
  } catch {
    return undefined;
  }
}
