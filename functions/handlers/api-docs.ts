import { buildOpenApiDocument } from '#domain/api/openapi.ts';
import { apiReferencePage } from '../views/api-docs.ts';
import { type HttpResult, html, httpHandler, json } from './http.ts';

/** The document and the page, built once per cold start: they change only with the code. */
let built: { readonly json: string; readonly page: string } | undefined;

function contract(): { readonly json: string; readonly page: string } {
  if (built === undefined) {
    const document = buildOpenApiDocument();
    built = { json: JSON.stringify(document), page: apiReferencePage(document) };
  }
  return built;
}

/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of the API and its webhooks, generated from the
 * schemas the code validates with. `GET /docs`: the same as a page for people, rendered here.
 * Public, like the API it describes; reads nothing but the code.
 */
export const handler = httpHandler(async (req): Promise<HttpResult> => {
  const path = req.pathWithQuery.split('?')[0] ?? '';
  return path.endsWith('/docs') ? html(200, contract().page) : json(200, contract().json);
});
