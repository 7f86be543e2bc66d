/** The embedded Step Functions engine; its modules live in `local/stepfunctions/`. */
export * from './stepfunctions/index.ts';
