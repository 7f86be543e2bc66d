import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body of at most `limit` bytes. A larger body is still read to its end, and
 * dropped, so that the caller can answer 413 on the same connection instead of resetting it.
 * @returns the body, or undefined when it is larger than `limit`.
 * @throws the stream's error when the request fails or is cut off before its end.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size <= limit) chunks.push(bytes);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}
