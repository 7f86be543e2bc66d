import { describe, expect, it } from 'vitest';
import { apiErrorCodes } from '#domain/api/errors.ts';
import { buildOpenApiDocument, type OpenApiDocument } from '#domain/api/openapi.ts';
import { webhookEventTypes } from '#domain/webhook-events.ts';
import { html, render } from '#views/html.ts';
import { apiReferencePage } from '../../functions/views/api-docs.ts';

/** The `/docs` page: everything in the document is on it, and nothing in it can inject markup. */
describe('the API reference page', () => {
  it('shows every route, webhook, error code and shared schema of the document', () => {
    // arrange
    const document = buildOpenApiDocument();

    // act
    const page = apiReferencePage(document);

    // assert
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      expect(page).toContain(`<span class="path">${path}</span>`);
      for (const op of Object.values(item))
        if (typeof op === 'object' && op && 'operationId' in op) expect(page).toContain(`id="route-${op.operationId}"`);
    }
    for (const type of webhookEventTypes) expect(page).toContain(`<span class="path">${type}</span>`);
    for (const code of Object.keys(apiErrorCodes)) expect(page).toContain(`<td class="name">${code}</td>`);
    for (const name of Object.keys(document.components?.schemas ?? {})) expect(page).toContain(`id="schema-${name}"`);
    expect(page).toContain('X-Makegood-Signature');
    expect(page).not.toMatch(/<script|<link|\bsrc=|url\(/i);
  });

  it('escapes every value from the document, in text and in attributes', () => {
    // arrange: hostile text where a document holds text, names and values
    const document = structuredClone(buildOpenApiDocument()) as OpenApiDocument & {
      info: { description: string };
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    document.info.description = 'Hello <script>alert(1)</script> and `<b onmouseover="x">`';
    const money = document.components.schemas.Money;
    if (!money?.properties) throw new Error('Money has properties');
    money.properties['"><img src=x onerror=alert(2)>'] = {
      type: 'string',
      description: '</td><script>alert(3)</script>',
      examples: ['<i>'],
    };

    // act
    const page = apiReferencePage(document);

    // assert
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('<b onmouseover');
    expect(page).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('<code>&lt;b onmouseover=&quot;x&quot;&gt;</code>');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
  });

  it('inserts markup made by its template as it is, and escapes everything else', () => {
    // act
    const inner = html`<b>${'<i>'}</b>`;
    const outer = html`<p>${inner}${['&', html`<br>`]}${null}${undefined}${false}${0}</p>`;

    // assert
    expect(render(outer)).toBe('<p><b>&lt;i&gt;</b>&amp;<br>0</p>');
  });
});
