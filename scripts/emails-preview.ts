/**
 * `npm run emails:preview [dir]`: renders every locale × outcome customer email to a folder
 * (default `./email-preview/`) with an index page that shows them side by side.
 */
import { resolve } from 'node:path';
import { writeEmailPreview } from '#local/email-preview.ts';

const dir = resolve(process.argv[2] ?? 'email-preview');
const { index, files } = await writeEmailPreview(dir);
console.log(`Wrote ${files.length} files to ${dir}\nOpen ${index}`);
