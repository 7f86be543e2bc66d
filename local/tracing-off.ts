/**
 * Keeps the X-Ray SDK's async hook off in the embedded runtime, which traces nothing (there is
 * no X-Ray daemon; the stack sets `POWERTOOLS_TRACE_ENABLED=false`). Powertools Tracer loads the
 * X-Ray SDK, which in its default automatic mode creates a continuation-local namespace the
 * moment it loads: an async hook that tracks every promise the process makes, traced or not. On
 * one core shared by the handlers and the engine, that hook cost about a sixth of the claims per
 * second (bench/RESULTS.md). Manual mode creates no namespace. Import this module before anything
 * that loads `#adapters/tracing.ts`; Lambda never imports it, and traces in automatic mode.
 */
if ((process.env.POWERTOOLS_TRACE_ENABLED ?? 'false') === 'false') process.env.AWS_XRAY_MANUAL_MODE ??= 'true';
