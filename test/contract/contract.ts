import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';

/**
 * Checks HTTP exchanges against an OpenAPI 3.1 document with a JSON Schema 2020-12 validator
 * (Ajv), not with the zod schemas the document was generated from: what is checked is the
 * document a client reads, as a client's own tooling would read it.
 */

/** One request and its answer, as they went over the wire. */
export interface Exchange {
  readonly request: {
    readonly method: string;
    /** Path and query, as sent: `/v1/ledger?from=…`. */
    readonly path: string;
    /** Lower-case names. */
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
  };
  readonly response: {
    readonly status: number;
    /** Lower-case names. */
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
  };
}

interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required?: boolean;
  readonly schema?: object;
}

interface Operation {
  readonly operationId?: string;
  readonly parameters?: readonly Parameter[];
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly requestBody?: { readonly required?: boolean; readonly content: Readonly<Record<string, { readonly schema?: object }>> };
  readonly responses: Readonly<
    Record<
      string,
      {
        readonly headers?: Readonly<Record<string, { readonly required?: boolean; readonly schema?: object }>>;
        readonly content?: Readonly<Record<string, { readonly schema?: object }>>;
      }
    >
  >;
}

interface SecurityScheme {
  readonly type: string;
  readonly in?: string;
  readonly name?: string;
  readonly scheme?: string;
}

/** The parts of an OpenAPI 3.1 document the checks read. */
export interface OpenApi31 {
  readonly openapi: string;
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly webhooks?: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components?: { readonly securitySchemes?: Readonly<Record<string, SecurityScheme>> };
}

/** The operation a request is for, found by method and path template. */
export interface Route {
  readonly template: string;
  readonly method: string;
  readonly operation: Operation;
  readonly pathParams: Readonly<Record<string, string>>;
}

/** Where each of the document's `components.schemas` is registered with Ajv. */
const SCHEMA_ID = 'urn:makegood:schemas:';
const COMPONENT_REF = '#/components/schemas/';
const methods = ['get', 'head', 'post', 'put', 'patch', 'delete'] as const;

/**
 * The document with every `#/components/schemas/X` reference pointing at `urn:makegood:schemas:X`
 * instead, where each component is registered: Ajv (strict) compiles schemas, and the document
 * around them (`openapi`, `paths`, …) is not one.
 */
function withComponentIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withComponentIds);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      if (k !== '$ref') return [k, withComponentIds(v)];
      if (typeof v !== 'string' || !v.startsWith(COMPONENT_REF)) throw new Error(`Unsupported $ref ${String(v)}`);
      return [k, `${SCHEMA_ID}${v.slice(COMPONENT_REF.length)}`];
    }),
  );
}

/** The value at a path of keys inside a JSON value. */
function at(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

const mediaTypeOf = (contentType: string | undefined) => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

function newAjv(coerceTypes: boolean): Ajv2020 {
  // OpenAPI 3.1's dialect is JSON Schema 2020-12 plus a few annotations of its own.
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true, coerceTypes });
  const addFormats = addFormatsPlugin as unknown as (a: Ajv2020) => Ajv2020;
  addFormats(ajv);
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
  return ajv;
}

/** An OpenAPI 3.1 document, ready to check exchanges against. */
export class OpenApiContract {
  private readonly bodies: Ajv2020;
  private readonly params: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly resolved: unknown;

  constructor(readonly document: OpenApi31) {
    this.bodies = newAjv(false);
    // Parameters arrive as text: `limit=5` is the integer 5, as OpenAPI's `form` style says.
    this.params = newAjv(true);
    this.resolved = withComponentIds(document);
    const schemas = Object.entries((at(this.resolved, ['components', 'schemas']) ?? {}) as Record<string, object>);
    for (const ajv of [this.bodies, this.params]) for (const [name, schema] of schemas) ajv.addSchema(schema, `${SCHEMA_ID}${name}`);
  }

  /** Every operation of the document, by method and path template. */
  operations(): { method: string; template: string; operationId: string }[] {
    return Object.entries(this.document.paths).flatMap(([template, item]) =>
      methods.flatMap((m) => (item[m] ? [{ method: m.toUpperCase(), template, operationId: item[m].operationId ?? '' }] : [])),
    );
  }

  /** The operation a method and path (with query) are for, or undefined when the document has none. */
  route(method: string, path: string): Route | undefined {
    const pathname = path.split('?')[0] ?? '';
    for (const [template, item] of Object.entries(this.document.paths)) {
      const names: string[] = [];
      const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      const m = new RegExp(`^${pattern}$`).exec(pathname);
      const operation = item[method.toLowerCase()];
      if (m && operation) {
        const pathParams = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
        return { template, method: method.toLowerCase(), operation, pathParams };
      }
    }
    return undefined;
  }

  /** Validates `value` against the schema at a path of keys into the document; the problems, in words. */
  private validate(ajv: Ajv2020, schemaPath: readonly string[], value: unknown, what: string): string[] {
    const key = `${ajv === this.params ? 'params' : 'bodies'}:${JSON.stringify(schemaPath)}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      const schema = at(this.resolved, schemaPath);
      if (schema === null || typeof schema !== 'object') throw new Error(`No schema at ${schemaPath.join(' › ')}`);
      validate = ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) => `${what}${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
    );
  }

  /** What is wrong with a request by the document: empty when it conforms. */
  checkRequest(request: Exchange['request']): string[] {
    const route = this.route(request.method, request.path);
    if (!route) return [`${request.method} ${request.path.split('?')[0]} is not in the document`];
    const problems: string[] = [];
    const opPath = ['paths', route.template, route.method];
    const query = new URLSearchParams(request.path.includes('?') ? request.path.slice(request.path.indexOf('?') + 1) : '');
    const params = route.operation.parameters ?? [];
    params.forEach((p, i) => {
      const value =
        p.in === 'path'
          ? route.pathParams[p.name]
          : p.in === 'query'
            ? (query.get(p.name) ?? undefined)
            : request.headers[p.name.toLowerCase()];
      if (value === undefined) {
        if (p.required) problems.push(`${p.in} parameter ${p.name} is required`);
        return;
      }
      if (p.in === 'query' && query.getAll(p.name).length > 1) problems.push(`query parameter ${p.name} is given more than once`);
      if (p.schema)
        problems.push(...this.validate(this.params, [...opPath, 'parameters', String(i), 'schema'], value, `${p.in} ${p.name}`));
    });
    for (const name of new Set(query.keys())) {
      if (!params.some((p) => p.in === 'query' && p.name === name)) problems.push(`query parameter ${name} is not in the document`);
    }
    problems.push(...this.checkSecurity(route.operation, request.headers));
    const body = route.operation.requestBody;
    if (body) {
      const type = mediaTypeOf(request.headers['content-type']);
      const media = body.content[type];
      if (request.body === '') {
        if (body.required) problems.push('the body is required');
      } else if (!media) {
        problems.push(`request media type ${type || '(none)'} is not in the document (${Object.keys(body.content).join(', ')})`);
      } else if (media.schema) {
        const parsed = parse(request.body, type);
        if (!parsed.ok) problems.push(`request body is not ${type}`);
        else
          problems.push(...this.validate(this.bodies, [...opPath, 'requestBody', 'content', type, 'schema'], parsed.value, 'request body'));
      }
    } else if (request.body !== '') {
      problems.push('the operation takes no body');
    }
    return problems;
  }

  /** The security requirements: at least one alternative must be met in full by the request's headers. */
  private checkSecurity(op: Operation, headers: Readonly<Record<string, string>>): string[] {
    const alternatives = op.security ?? [];
    if (alternatives.length === 0) return [];
    const schemes = this.document.components?.securitySchemes ?? {};
    const met = (name: string) => {
      const s = schemes[name];
      if (!s) return false;
      if (s.type === 'apiKey' && s.in === 'header' && s.name) return headers[s.name.toLowerCase()] !== undefined;
      if (s.type === 'http' && s.scheme === 'bearer') return /^Bearer \S+$/i.test(headers.authorization ?? '');
      return false;
    };
    return alternatives.some((alt) => Object.keys(alt).every(met))
      ? []
      : [
          `the request carries none of the credentials the document asks for (${alternatives.map((a) => Object.keys(a).join(' + ')).join(' or ')})`,
        ];
  }

  /** What is wrong with an answer by the document: empty when it conforms. */
  checkResponse(request: Exchange['request'], response: Exchange['response']): string[] {
    const route = this.route(request.method, request.path);
    if (!route) return [`${request.method} ${request.path.split('?')[0]} is not in the document`];
    const status = String(response.status);
    const key = [status, `${status[0]}XX`, 'default'].find((k) => route.operation.responses[k] !== undefined);
    if (!key) return [`status ${status} is not documented for ${request.method} ${route.template}`];
    const documented = route.operation.responses[key];
    const problems: string[] = [];
    const resPath = ['paths', route.template, route.method, 'responses', key];
    for (const [name, header] of Object.entries(documented?.headers ?? {})) {
      const value = response.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) problems.push(`response header ${name} is required`);
      } else if (header.schema) {
        problems.push(...this.validate(this.params, [...resPath, 'headers', name, 'schema'], value, `response header ${name}`));
      }
    }
    const content = documented?.content;
    // HEAD answers, and answers documented without a body, are not read.
    if (!content || request.method === 'HEAD') {
      if (response.body !== '' && !content) problems.push(`status ${status} is documented without a body`);
      return problems;
    }
    const type = mediaTypeOf(response.headers['content-type']);
    const media = content[type];
    if (!media)
      return [...problems, `response media type ${type || '(none)'} is not documented for ${status} (${Object.keys(content).join(', ')})`];
    if (!media.schema) return problems;
    const parsed = parse(response.body, type);
    if (!parsed.ok) return [...problems, `response body is not ${type}`];
    return [...problems, ...this.validate(this.bodies, [...resPath, 'content', type, 'schema'], parsed.value, 'response body')];
  }

  /** What is wrong with a webhook body of `eventType` and its headers by the document's `webhooks`. */
  checkWebhook(eventType: string, headers: Readonly<Record<string, string>>, body: string): string[] {
    const op = this.document.webhooks?.[eventType]?.post;
    if (!op) return [`webhook ${eventType} is not in the document`];
    const problems: string[] = [];
    (op.parameters ?? []).forEach((p, i) => {
      const value = headers[p.name.toLowerCase()];
      if (value === undefined) {
        if (p.required) problems.push(`webhook header ${p.name} is required`);
      } else if (p.schema) {
        problems.push(
          ...this.validate(this.params, ['webhooks', eventType, 'post', 'parameters', String(i), 'schema'], value, `header ${p.name}`),
        );
      }
    });
    const parsed = parse(body, 'application/json');
    if (!parsed.ok) return [...problems, 'webhook body is not JSON'];
    return [
      ...problems,
      ...this.validate(
        this.bodies,
        ['webhooks', eventType, 'post', 'requestBody', 'content', 'application/json', 'schema'],
        parsed.value,
        'webhook body',
      ),
    ];
  }

  /** Both sides of an exchange; prefixed with the request, to read in a failure. */
  check(exchange: Exchange): string[] {
    const what = `${exchange.request.method} ${exchange.request.path} → ${exchange.response.status}`;
    return [...this.checkRequest(exchange.request), ...this.checkResponse(exchange.request, exchange.response)].map((p) => `${what}: ${p}`);
  }
}

function parse(text: string, mediaType: string): { ok: true; value: unknown } | { ok: false } {
  if (mediaType !== 'application/json') return { ok: true, value: text };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Records every exchange with `baseUrl` that `fetch` makes while `action` runs, the harness's
 * helpers included, with the request exactly as sent (string bodies only, as the suite sends).
 */
export async function recording<T>(baseUrl: string, action: () => Promise<T>): Promise<{ result: T; exchanges: Exchange[] }> {
  const exchanges: Exchange[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const res = await realFetch(input, init);
    if (!url.href.startsWith(baseUrl)) return res;
    if (init?.body !== undefined && init.body !== null && typeof init.body !== 'string') throw new Error('Only string bodies are recorded');
    const requestHeaders: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      requestHeaders[k] = v;
    });
    const responseHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      responseHeaders[k] = v;
    });
    exchanges.push({
      request: {
        method: (init?.method ?? 'GET').toUpperCase(),
        path: `${url.pathname}${url.search}`,
        headers: requestHeaders,
        body: init?.body ?? '',
      },
      response: { status: res.status, headers: responseHeaders, body: await res.clone().text() },
    });
    return res;
  };
  try {
    return { result: await action(), exchanges };
  } finally {
    globalThis.fetch = realFetch;
  }
}
