import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidRequestError } from '#domain/errors.ts';
import { errorResponse } from '#handlers/http.ts';
import type { HttpRoute } from '#handlers/registry.ts';
import { readBody } from '#local/read-body.ts';

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

/**
 * The request target as a URL. A target that does not parse (`//[`, `http://[`) is refused with
 * {@link InvalidRequestError}, as API Gateway refuses it before any function runs.
 */
function requestUrl(target: string): URL {
  try {
    return new URL(target, 'http://localhost');
  } catch {
    throw new InvalidRequestError('The request target is not a valid URL path', [
      { path: '(path)', message: `${JSON.stringify(target.slice(0, 200))} does not parse as a path` },
    ]);
  }
}

/**
 * The route's path parameters, decoded once, as API Gateway passes them to the function. A value
 * that is not valid percent-encoding (`%`, `%zz`, `%E0%A4%A`, the UTF-8 of a lone surrogate) is
 * refused with {@link InvalidRequestError} naming each parameter, before any function runs.
 */
function decodePathParameters(names: readonly string[], values: readonly string[]): Record<string, string> {
  const decoded: Record<string, string> = {};
  const issues: { path: string; message: string }[] = [];
  names.forEach((name, i) => {
    const raw = values[i] ?? '';
    try {
      decoded[name] = decodeURIComponent(raw);
    } catch {
      issues.push({ path: `path.${name}`, message: `${JSON.stringify(raw.slice(0, 200))} is not valid percent-encoding of UTF-8` });
    }
  });
  if (issues.length > 0) throw new InvalidRequestError('The path is not valid percent-encoding', issues);
  return decoded;
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
  const method = (req.method ?? 'GET').toUpperCase();
  try {
    const url = requestUrl(req.url ?? '/');
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
    const body = await readBody(req, GATEWAY_MAX_BODY);
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
    const pathParameters = decodePathParameters(match.route.params, match.values);
    // Like API Gateway's payload v2: a parameter given twice is one value, its copies joined by commas.
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    const now = new Date();
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: match.route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(cookies ? { cookies } : {}),
      ...(url.search ? { queryStringParameters: query } : {}),
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
    if (err instanceof InvalidRequestError && !res.headersSent) {
      // What API Gateway refuses before any function runs, in the house's error shape.
      const refused = errorResponse(err, requestId);
      res
        .writeHead(refused.statusCode, { ...refused.headers, 'apigw-requestid': requestId })
        .end(method === 'HEAD' ? undefined : refused.body);
      return;
    }
    // Like API Gateway when the function itself crashes: a bare 500 with no internals.
    console.error(`[api] ${requestId}`, err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Internal Server Error' }));
  }
}
