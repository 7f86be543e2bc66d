import type { OpenApiDocument } from '#domain/api/openapi.ts';
import { fragment, type Html, html, raw, render } from './html.ts';

/**
 * The API reference page (`GET /docs`), rendered on the server from the OpenAPI document: every
 * route with its security, parameters, request body and answers, the error codes, the webhooks
 * and the shared schemas. Plain HTML with inline CSS: no script, no font, nothing loaded from
 * elsewhere (the CSP of `html()` in `functions/handlers/http.ts` forbids it), so it works offline
 * in both modes. Every value is escaped by the `html` template; only the stylesheet, a constant,
 * goes in raw.
 */

/** The parts of JSON Schema 2020-12 the page shows. */
interface Schema {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | Schema;
  readonly items?: Schema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly anyOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly allOf?: readonly Schema[];
  readonly format?: string;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
}

interface MediaType {
  readonly schema?: Schema;
}

interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly description?: string;
  readonly schema?: Schema;
}

interface Header {
  readonly description?: string;
  readonly required?: boolean;
  readonly schema?: Schema;
}

interface Response {
  readonly description?: string;
  readonly headers?: Readonly<Record<string, Header>>;
  readonly content?: Readonly<Record<string, MediaType>>;
}

interface Operation {
  readonly operationId?: string;
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { readonly required?: boolean; readonly content?: Readonly<Record<string, MediaType>> };
  readonly responses?: Readonly<Record<string, Response>>;
}

interface SecurityScheme {
  readonly type: string;
  readonly in?: string;
  readonly name?: string;
  readonly scheme?: string;
  readonly description?: string;
}

/** The document as plain JSON: what the page reads of it. */
interface ReferenceDocument {
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly tags?: readonly { readonly name: string; readonly description?: string }[];
  readonly paths?: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly webhooks?: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components?: {
    readonly schemas?: Readonly<Record<string, Schema>>;
    readonly securitySchemes?: Readonly<Record<string, SecurityScheme>>;
  };
}

const methods = ['get', 'head', 'post', 'put', 'patch', 'delete'] as const;

const STYLE = [
  ':root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--get:#0969da;--post:#1a7f37;--hook:#8250df}',
  '*{box-sizing:border-box}',
  'body{font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);background:#fff;margin:0}',
  '.top{border-bottom:1px solid var(--line);background:var(--soft)}.top div{max-width:1080px;margin:0 auto;padding:10px 20px;color:var(--muted);font-size:14px}',
  'main{max-width:1080px;margin:0 auto;padding:20px 20px 60px}',
  'h1{font-size:28px;margin:8px 0}h2{font-size:21px;margin:36px 0 10px;padding-top:12px;border-top:1px solid var(--line)}',
  'h3{font-size:17px;margin:0 0 6px}h4{font-size:14px;margin:16px 0 6px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}',
  'code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eff2f5;border-radius:4px;padding:1px 5px;word-break:break-word}',
  '.op{border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:14px 0}',
  '.verb{display:inline-block;min-width:4.2em;text-align:center;font:600 12px ui-monospace,Menlo,Consolas,monospace;color:#fff;border-radius:4px;padding:3px 6px;margin-right:8px;vertical-align:2px}',
  '.verb.get,.verb.head{background:var(--get)}.verb.post{background:var(--post)}.verb.hook{background:var(--hook)}',
  '.path{font:600 16px ui-monospace,Menlo,Consolas,monospace}',
  'table{border-collapse:collapse;width:100%;margin:4px 0 8px}th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line);font-size:14px}',
  'th{color:var(--muted);font-weight:500}td.name{white-space:nowrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}',
  '.muted{color:var(--muted)}.small{font-size:13px}.req{color:#cf222e;font-size:12px}.status{font:600 14px ui-monospace,Menlo,Consolas,monospace}',
  'ul.toc{columns:2;padding-left:20px}ul.toc li{break-inside:avoid}',
  'p{margin:6px 0}ul{margin:6px 0}',
  'a{color:#0969da}',
].join('');

/** Text with `code` spans, paragraphs and `- ` lists, as the document's descriptions are written. */
function prose(text: string | undefined): Html {
  if (!text) return fragment(html``);
  const inline = (line: string) => line.split('`').map((part, i) => (i % 2 === 1 ? fragment(html`<code>${part}</code>`) : part));
  const blocks: Html[] = [];
  let paragraph: string[] = [];
  let items: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) blocks.push(fragment(html`<p>${inline(paragraph.join(' '))}</p>`));
    if (items.length > 0) blocks.push(fragment(html`<ul>${items.map((item) => html`<li>${inline(item)}</li>`)}</ul>`));
    paragraph = [];
    items = [];
  };
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const last = items.length - 1;
    if (line.startsWith('- ')) {
      if (paragraph.length > 0) {
        blocks.push(fragment(html`<p>${inline(paragraph.join(' '))}</p>`));
        paragraph = [];
      }
      items.push(line.slice(2));
    } else if (line.startsWith('  ') && last >= 0) {
      // An indented line goes on with the list item above it.
      items[last] = `${items[last]} ${line.trim()}`;
    } else if (line === '') {
      flush();
    } else {
      if (items.length > 0) flush();
      paragraph.push(line);
    }
  }
  flush();
  return fragment(html`${blocks}`);
}

const refName = (ref: string) => ref.split('/').at(-1) ?? ref;
const anchor = (kind: string, name: string) => `${kind}-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
const literal = (v: unknown) => JSON.stringify(v);

/** The type of a schema in a few words, with links to the shared schemas it names. */
function typeOf(s: Schema | undefined): Html {
  if (!s) return fragment(html`any`);
  if (s.$ref) {
    const name = refName(s.$ref);
    return fragment(html`<a href="#${anchor('schema', name)}">${name}</a>`);
  }
  if (s.const !== undefined) return fragment(html`<code>${literal(s.const)}</code>`);
  if (s.enum) return fragment(html`${s.enum.map((v, i) => html`${i > 0 ? ' | ' : ''}<code>${literal(v)}</code>`)}`);
  const variants = s.oneOf ?? s.anyOf;
  if (variants) return fragment(html`one of ${variants.map((v, i) => html`${i > 0 ? ', ' : ''}${typeOf(v)}`)}`);
  if (s.allOf) return fragment(html`all of ${s.allOf.map((v, i) => html`${i > 0 ? ', ' : ''}${typeOf(v)}`)}`);
  const types = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
  const named = types.map((t) =>
    t === 'array'
      ? fragment(html`array of ${typeOf(s.items)}`)
      : t === 'string' && s.format
        ? fragment(html`string (${s.format})`)
        : fragment(html`${t}`),
  );
  if (named.length === 0) return fragment(html`any JSON value`);
  return fragment(html`${named.map((t, i) => html`${i > 0 ? ' or ' : ''}${t}`)}`);
}

/** The constraints of a schema, in words. */
function constraintsOf(s: Schema): Html {
  const parts: (Html | string)[] = [];
  // The type shows a format, which says it better than its regular expression (zod adds one to
  // every date-time and email).
  if (s.pattern && !s.format) parts.push(fragment(html`pattern <code>${s.pattern}</code>`));
  // zod bounds every integer by the safe range; only a bound of the API's own is worth saying.
  if (s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER) parts.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined && s.maxLength !== undefined) parts.push(`${s.minLength}–${s.maxLength} characters`);
  else if (s.minLength !== undefined) parts.push(`at least ${s.minLength} ${s.minLength === 1 ? 'character' : 'characters'}`);
  else if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  if (s.minItems !== undefined && s.maxItems !== undefined) parts.push(`${s.minItems}–${s.maxItems} items`);
  else if (s.minItems !== undefined) parts.push(`at least ${s.minItems} ${s.minItems === 1 ? 'item' : 'items'}`);
  else if (s.maxItems !== undefined) parts.push(`at most ${s.maxItems} items`);
  if (s.default !== undefined) parts.push(fragment(html`default <code>${literal(s.default)}</code>`));
  if (s.examples?.[0] !== undefined) parts.push(fragment(html`e.g. <code>${literal(s.examples[0])}</code>`));
  return fragment(html`${parts.map((p, i) => html`${i > 0 ? '; ' : ''}${p}`)}`);
}

/** The object a schema describes inline (not by reference), if any: itself, or its items. */
function inlineObject(s: Schema): { schema: Schema; suffix: string } | undefined {
  if (s.properties) return { schema: s, suffix: '.' };
  if (s.items && !s.items.$ref && s.items.properties) return { schema: s.items, suffix: '[].' };
  return undefined;
}

/** One row per property, nested objects flattened to dotted names (`order.items[].sku`). */
function propertyRows(s: Schema, prefix = '', depth = 0): Html[] {
  const rows: Html[] = [];
  const required = new Set(s.required ?? []);
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    rows.push(
      fragment(
        html`<tr><td class="name">${prefix}${name}${required.has(name) ? html` <span class="req">required</span>` : ''}</td><td>${typeOf(prop)}</td><td>${prose(prop.description)}<span class="muted small">${constraintsOf(prop)}</span></td></tr>`,
      ),
    );
    const nested = inlineObject(prop);
    if (nested && depth < 6) rows.push(...propertyRows(nested.schema, `${prefix}${name}${nested.suffix}`, depth + 1));
  }
  return rows;
}

/** The innermost fields of a narrowing schema (`error.code`): the rest is the shared schema's. */
function leafFields(s: Schema, prefix = ''): { name: string; schema: Schema }[] {
  return Object.entries(s.properties ?? {}).flatMap(([name, prop]) =>
    prop.properties ? leafFields(prop, `${prefix}${name}.`) : [{ name: `${prefix}${name}`, schema: prop }],
  );
}

/** A schema: its type, its constraints, its properties as a table, and its variants. */
function schemaBlock(s: Schema | undefined): Html {
  if (!s) return fragment(html``);
  if (s.allOf) {
    // A shared schema narrowed for this answer (an error body whose code is one of a few).
    const shared = s.allOf.filter((m) => m.$ref);
    const narrowed = s.allOf.filter((m) => !m.$ref).flatMap((m) => leafFields(m));
    return fragment(
      html`<p>${shared.map((m, i) => html`${i > 0 ? ', ' : ''}${typeOf(m)}`)}${narrowed.map(
        (f) => html`, with <code>${f.name}</code> ${typeOf(f.schema)}`,
      )}</p>`,
    );
  }
  const object = inlineObject(s);
  const variants = s.oneOf ?? s.anyOf;
  return fragment(html`<p>${typeOf(s)} <span class="muted">${constraintsOf(s)}</span></p>${s.description && !s.$ref ? prose(s.description) : ''}
${object ? html`<table><tr><th>Field</th><th>Type</th><th>Meaning</th></tr>${propertyRows(object.schema, object.suffix === '[].' ? '[].' : '')}</table>` : ''}
${s.additionalProperties === false && object ? html`<p class="muted">No other fields.</p>` : ''}
${variants && !s.$ref ? variants.filter((v) => !v.$ref).map((v) => schemaBlock(v)) : ''}`);
}

function contentBlock(content: Readonly<Record<string, MediaType>> | undefined): Html {
  return fragment(
    html`${Object.entries(content ?? {}).map(([type, media]) => html`<div><code>${type}</code> ${schemaBlock(media.schema)}</div>`)}`,
  );
}

/** How a security scheme shows on the wire: its header, or `Authorization: Bearer`. */
function schemeLabel(name: string, scheme: SecurityScheme | undefined): string {
  if (scheme?.name) return scheme.name;
  if (scheme?.scheme) return `Authorization: ${scheme.scheme.charAt(0).toUpperCase()}${scheme.scheme.slice(1)}`;
  return name;
}

function securityOf(op: Operation, schemes: Readonly<Record<string, SecurityScheme>>): Html {
  const requirements = op.security ?? [];
  if (requirements.length === 0) return fragment(html`<p class="muted">No authentication.</p>`);
  return fragment(
    html`<p>${requirements.map(
      (req, i) =>
        html`${i > 0 ? ' or ' : ''}${Object.keys(req).map((name, j) => {
          const scheme = schemes[name];
          const label = schemeLabel(name, scheme);
          return html`${j > 0 ? ' and ' : ''}<a href="#${anchor('security', name)}">${label}</a>`;
        })}`,
    )}</p>`,
  );
}

function parametersTable(params: readonly Parameter[] | undefined): Html {
  if (!params || params.length === 0) return fragment(html``);
  return fragment(
    html`<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Type</th><th>Meaning</th></tr>${params.map(
      (p) =>
        html`<tr><td class="name">${p.name}${p.required ? html` <span class="req">required</span>` : ''}</td><td>${p.in}</td><td>${typeOf(p.schema)}</td><td>${prose(p.description ?? p.schema?.description)}<span class="muted">${p.schema ? constraintsOf(p.schema) : ''}</span></td></tr>`,
    )}</table>`,
  );
}

function headersTable(headers: Readonly<Record<string, Header>> | undefined): Html {
  const entries = Object.entries(headers ?? {});
  if (entries.length === 0) return fragment(html``);
  return fragment(
    html`<table><tr><th>Header</th><th>Type</th><th>Meaning</th></tr>${entries.map(
      ([name, h]) =>
        html`<tr><td class="name">${name}${h.required ? html` <span class="req">always</span>` : ''}</td><td>${typeOf(h.schema)}</td><td>${prose(h.description)}</td></tr>`,
    )}</table>`,
  );
}

function responsesBlock(responses: Readonly<Record<string, Response>> | undefined): Html {
  // Object keys that look like integers come first in JavaScript; sort as a person reads them: 2XX, 410, default.
  const order = (status: string) => (status === 'default' ? 'Z' : status.replace(/X/g, '0'));
  const sorted = Object.entries(responses ?? {}).sort(([a], [b]) => order(a).localeCompare(order(b)));
  return fragment(
    html`<h4>Answers</h4>${sorted.map(
      ([status, r]) =>
        html`<div class="response"><p><span class="status">${status}</span> ${prose(r.description)}</p>${headersTable(r.headers)}${contentBlock(r.content)}</div>`,
    )}`,
  );
}

function operationBlock(
  kind: 'route' | 'webhook',
  method: string,
  path: string,
  op: Operation,
  schemes: Readonly<Record<string, SecurityScheme>>,
): Html {
  const id = anchor(kind, op.operationId ?? `${method}-${path}`);
  const verb = kind === 'webhook' ? 'hook' : method;
  return fragment(html`<section class="op" id="${id}">
<h3><span class="verb ${verb}">${kind === 'webhook' ? 'EVENT' : method.toUpperCase()}</span><span class="path">${path}</span> <span class="muted">${op.summary === path ? '' : op.summary}</span></h3>
${prose(op.description)}
${kind === 'route' ? html`<h4>Authentication</h4>${securityOf(op, schemes)}` : ''}
${parametersTable(op.parameters)}
${op.requestBody ? html`<h4>Body${op.requestBody.required ? '' : ' (optional)'}</h4>${contentBlock(op.requestBody.content)}` : ''}
${responsesBlock(op.responses)}
</section>`);
}

interface Listed {
  readonly method: string;
  readonly path: string;
  readonly op: Operation;
}

function operationsOf(items: ReferenceDocument['paths']): Listed[] {
  return Object.entries(items ?? {}).flatMap(([path, item]) =>
    methods.flatMap((m) => {
      const op = item[m];
      return op ? [{ method: m, path, op }] : [];
    }),
  );
}

/** Every error code the document's answers carry, with its status and meaning. */
function errorCodes(operations: readonly Listed[]): { code: string; status: string; meaning: string }[] {
  const seen = new Map<string, { code: string; status: string; meaning: string }>();
  for (const { op } of operations) {
    for (const [status, r] of Object.entries(op.responses ?? {})) {
      const body = r.content?.['application/json']?.schema;
      const code = [body, ...(body?.allOf ?? [])].find((m) => m?.properties?.error?.properties?.code?.enum)?.properties?.error?.properties
        ?.code;
      const meanings = new Map(
        (code?.description ?? '').split('\n').flatMap((line) => {
          const m = /^`([a-z_]+)`: (.*)$/.exec(line);
          return m?.[1] && m[2] ? [[m[1], m[2]] as const] : [];
        }),
      );
      for (const c of code?.enum ?? []) {
        const name = String(c);
        if (!seen.has(name)) seen.set(name, { code: name, status, meaning: meanings.get(name) ?? '' });
      }
    }
  }
  return [...seen.values()].sort((a, b) => a.status.localeCompare(b.status) || a.code.localeCompare(b.code));
}

/** The API reference page for people, from the OpenAPI document. */
export function apiReferencePage(document: OpenApiDocument): string {
  // Read as the plain JSON it is served as; the page needs only the parts typed above.
  const doc = document as unknown as ReferenceDocument;
  const schemes = doc.components?.securitySchemes ?? {};
  const routes = operationsOf(doc.paths);
  const webhooks = operationsOf(doc.webhooks);
  const tags = (doc.tags ?? []).filter((t) => routes.some((r) => r.op.tags?.includes(t.name)));
  const schemas = Object.entries(doc.components?.schemas ?? {});
  const codes = errorCodes(routes);
  const body = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${doc.info.title} ${doc.info.version}</title><style>${raw(STYLE)}</style></head><body>
<div class="top"><div>makegood · API reference · <a href="/openapi.json">openapi.json</a></div></div>
<main>
<h1>${doc.info.title} <span class="muted">${doc.info.version}</span></h1>
${prose(doc.info.description)}
<ul class="toc">
${tags.map(
  (t) =>
    html`<li><b>${t.name}</b><ul>${routes
      .filter((r) => r.op.tags?.includes(t.name))
      .map((r) => html`<li><a href="#${anchor('route', r.op.operationId ?? '')}">${r.method.toUpperCase()} ${r.path}</a></li>`)}</ul></li>`,
)}
<li><b>Webhooks</b><ul>${webhooks.map((w) => html`<li><a href="#${anchor('webhook', w.op.operationId ?? '')}">${w.path}</a></li>`)}</ul></li>
<li><a href="#authentication">Authentication</a> · <a href="#errors">Error codes</a> · <a href="#schemas">Schemas</a></li>
</ul>
<h2 id="authentication">Authentication</h2>
${Object.entries(schemes).map(
  ([name, s]) =>
    html`<section class="op" id="${anchor('security', name)}"><h3>${schemeLabel(name, s)} <span class="muted">${s.type}${s.in ? ` in ${s.in}` : ''}</span></h3>${prose(s.description)}</section>`,
)}
<h2 id="errors">Error codes</h2>
<p>Every error answers <code>{"error":{"code","message","issues"?:[{"path","message"}]}}</code>.</p>
<table><tr><th>Status</th><th>Code</th><th>Meaning</th></tr>${codes.map(
    (c) => html`<tr><td class="status">${c.status}</td><td class="name">${c.code}</td><td>${prose(c.meaning)}</td></tr>`,
  )}</table>
${tags.map(
  (t) =>
    html`<h2>${t.name}</h2>${prose(t.description)}${routes
      .filter((r) => r.op.tags?.includes(t.name))
      .map((r) => operationBlock('route', r.method, r.path, r.op, schemes))}`,
)}
<h2 id="webhooks">Webhooks</h2>
${prose((doc.tags ?? []).find((t) => t.name === 'Webhooks')?.description)}
${webhooks.map((w) => operationBlock('webhook', w.method, w.path, w.op, schemes))}
<h2 id="schemas">Schemas</h2>
${schemas.map(([name, s]) => html`<section class="op" id="${anchor('schema', name)}"><h3>${name}</h3>${prose(s.description)}${schemaBlock({ ...s, description: '' })}</section>`)}
</main></body></html>`;
  return render(body);
}
