import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of the one workflow definition, deployed by CDK and run by the embedded runtime. */
export const refundDefinitionPath = fileURLToPath(new URL('../statemachines/refund.asl.json', import.meta.url));

/** An ASL document as parsed JSON; the lint and the stack only look at its structure. */
export type AslDefinition = Record<string, unknown>;

/** Reads and parses an ASL file. Throws with the file name if it is not a JSON object. */
export function loadDefinition(path: string = refundDefinitionPath): AslDefinition {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${path} is not a JSON object`);
  }
  return parsed as AslDefinition;
}

/**
 * The `${Name}` definition substitutions used anywhere in a definition, in order of first use.
 * Step Functions replaces these at deploy time; each must have a value or the deployment fails
 * late, so the stack checks them at synth.
 */
export function substitutionPlaceholders(definition: AslDefinition): string[] {
  const names = new Set<string>();
  for (const match of JSON.stringify(definition).matchAll(/\$\{([A-Za-z0-9_]+)\}/g)) {
    names.add(match[1] as string);
  }
  return [...names];
}
