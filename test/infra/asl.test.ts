import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { ErrorNames } from '#domain/errors.ts';
import { lintAsl } from '#infra/asl-lint.ts';
import { loadDefinition } from '#infra/refund-definition.ts';

/** What this proves: the one workflow definition is valid ASL and follows the house rules. */
describe('statemachines/refund.asl.json', () => {
  it('is valid Amazon States Language', () => {
    // arrange — the validator writes QueryLanguage into the states it checks, so give it a copy
    const definition = structuredClone(loadDefinition());

    // act
    const result = validator(definition, { checkPaths: true, checkArn: true });

    // assert
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('follows the house rules: JSONPath only, timeouts, jittered retries, catches, known errors, a connected graph', () => {
    // arrange
    const definition = loadDefinition();

    // act
    const problems = lintAsl(definition, { errorNames: Object.values(ErrorNames) });

    // assert
    expect(problems).toEqual([]);
  });
});
