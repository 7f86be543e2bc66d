import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiErrorCodes } from '#domain/api/errors.ts';
import * as errors from '#domain/errors.ts';
import type { errorResponse as ErrorResponse } from '#handlers/http.ts';

/**
 * The error codes the document lists (`apiErrorCodes`) are the ones the HTTP mapper answers
 * with, each under its documented status: every named domain error, and anything else, maps to
 * a listed code. A code added to the mapper and not to the list fails here, before any route
 * test has to meet it.
 */
let errorResponse: typeof ErrorResponse;

beforeAll(async () => {
  // The 500 path logs on purpose; keep the output quiet.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  ({ errorResponse } = await import('#handlers/http.ts'));
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** A named error class the domain exports. */
type NamedError = (new (message: string) => errors.DomainError) & { readonly name: string };

/** Every named error class the domain exports. */
const errorClasses: NamedError[] = Object.values(errors as Record<string, unknown>).filter(
  (v): v is NamedError => typeof v === 'function' && v.prototype instanceof errors.DomainError,
);

describe('the documented error codes', () => {
  it('cover every named domain error', () => {
    expect(errorClasses.map((c) => c.name).sort()).toEqual(Object.keys(errors.ErrorNames).sort());
  });

  it.each([...errorClasses.map((c) => [c.name, () => new c('something')] as const), ['a plain Error', () => new Error('boom')] as const])(
    'map %s to a documented code under its documented status',
    (_name, make) => {
      // act
      const res = errorResponse(make(), 'req-contract');

      // assert
      const body = JSON.parse(String(res.body)) as { error: { code: string; message: string } };
      const documented = apiErrorCodes[body.error.code as keyof typeof apiErrorCodes];
      expect(documented, `${body.error.code} is not in apiErrorCodes`).toBeDefined();
      expect(res.statusCode).toBe(documented?.status);
    },
  );
});
