import type * as z from 'zod';
import type { healthySchema } from '#domain/api/responses.ts';
import { httpHandler, json } from './http.ts';

/**
 * `GET /health`: 200 from the function alone. It is public, so it calls nothing: a flood of it
 * reads no table and asks SES nothing. `GET /health/deep` (finance key) checks the dependencies.
 */
export const handler = httpHandler(async () => json(200, { ok: true } satisfies z.output<typeof healthySchema>));
