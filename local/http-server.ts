import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpRoute } from '#handlers/registry.ts';

/** A Lambda handler of an HTTP route, as API Gateway invokes it. */
export type HttpLambda = (event: APIGatewayProxyEventV2) => Promise<{
  statusCode: number;
  headers?: Record<string, string | number | boolean>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}>;

/** API Gateway's own payload limit; the handlers enforce the API's 64 KiB themselves. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

interface CompiledRoute {
  readonly method: string;
  readonly routeKey: string;
  readonly pattern: RegExp;
  readonly params: string[];
  readonly fn: HttpLambda;
}

function compile(route: HttpRoute, fn: HttpLambda): CompiledRoute {
  const params: string[] = [];
  const pattern = route.path
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a: string | undefined, b: string | undefined) => {
      params.push((a ?? b) as string);
      return '([^/]+)';
    });
  return { method: route.method, routeKey: `${route.method} ${route.path}`, pattern: new RegExp(`^${pattern}$`), params, fn };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * A small HTTP server that does for the embedded mode what API Gateway's HTTP API does in the
 * cloud: matches the same routes and invokes the same handler modules with a payload-v2 event.
 */
export function createApiServer(routes: ReadonlyArray<{ route: HttpRoute; fn: HttpLambda }>, isReady: () => boolean = () => true): Server {
  const compiled = routes.map((r) => compile(r.route, r.fn));
  return createServer((req, res) => {
    // The port is bound early (the links in emails name it), but nothing is served until the
    // tables, the demo storefront and its policy exist: a client that waits for /health is then
    // never told "no policy yet".
    if (!isReady()) {
      res
        .writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' })
        .end(JSON.stringify({ error: { code: 'starting', message: 'makegood is starting; try again in a second' } }));
      return;
    }
    void serve(compiled, req, res);
  });
}

async function serve(routes: readonly CompiledRoute[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    let match: { route: CompiledRoute; values: string[] } | undefined;
    for (const route of routes) {
      const m = route.pattern.exec(url.pathname);
      if (m && route.method === method) {
        match = { route, values: m.slice(1) };
        break;
      }
    }
    if (!match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Request Entity Too Large' }));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    headers['x-forwarded-proto'] ??= 'http';
    // Like API Gateway's payload v2: the request's cookies are a list of their own, not a header.
    const cookies = headers.cookie ? headers.cookie.split(/;\s*/).filter((c) => c !== '') : undefined;
    delete headers.cookie;
    const pathParameters: Record<string, string> = {};
    try {
      match.route.params.forEach((name, i) => {
        pathParameters[name] = decodeURIComponent(match.values[i] ?? '');
      });
    } catch {
      // API Gateway refuses a path it cannot decode before any function runs.
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: { code: 'invalid_request', message: 'The path is not valid percent-encoding' } }));
      return;
    }
    const now = new Date();
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: match.route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(cookies ? { cookies } : {}),
      ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
      pathParameters,
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        domainName: headers.host ?? 'localhost',
        domainPrefix: 'local',
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId,
        routeKey: match.route.routeKey,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      // API Gateway base64-encodes bodies it does not treat as text; doing it always is allowed.
      body: body.toString('base64'),
      isBase64Encoded: true,
    };
    const result = await match.route.fn(event);
    const out: Record<string, string> = { 'apigw-requestid': requestId };
    for (const [k, v] of Object.entries(result.headers ?? {})) out[k] = String(v);
    if (result.cookies?.length) res.setHeader('set-cookie', result.cookies);
    const payload = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
    res.writeHead(result.statusCode, out).end(method === 'HEAD' ? undefined : payload);
  } catch (err) {
    // Like API Gateway when the function itself crashes: a bare 500 with no internals.
    console.error(`[api] ${requestId}`, err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Internal Server Error' }));
  }
}
