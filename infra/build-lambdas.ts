/**
 * Builds the Lambda code (infra/bundling.ts) into the folder given: `functions/<id>/index.mjs`
 * and `layer/makegood/`. Run by the CDK app when it bundles its first asset.
 *
 *   npx tsx infra/build-lambdas.ts <folder>
 */
import { buildLambdas } from '#infra/bundling.ts';

const outDir = process.argv[2];
if (outDir === undefined) {
  process.stderr.write('usage: build-lambdas <folder>\n');
  process.exit(2);
}
await buildLambdas(outDir);
