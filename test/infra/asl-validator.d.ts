/** Types for asl-validator 4, which ships JavaScript only (`module.exports = function validator`). */
declare module 'asl-validator' {
  /** One finding: a code such as `SCHEMA_VALIDATION_FAILED` or `MISSING_TRANSITION_TARGET`. */
  interface AslValidationError {
    readonly 'Error code': string;
    readonly Message: string;
  }
  interface AslValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly AslValidationError[];
    errorsText(separator?: string): string;
  }
  interface AslValidationOptions {
    /** Check JSONPath syntax in InputPath, OutputPath, ResultPath, … (default true). */
    readonly checkPaths?: boolean;
    /** Check that Task `Resource` values are ARNs (default true). */
    readonly checkArn?: boolean;
  }
  /** Validates an ASL definition. Note: it adds `QueryLanguage` to the states it is given. */
  function validator(definition: unknown, options?: AslValidationOptions): AslValidationResult;
  export = validator;
}
