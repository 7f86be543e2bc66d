import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Loads the embedded stack's module in a fresh Node and says whether the X-Ray SDK made its namespace (its async hook). */
function xrayNamespaceAfterLoading(env: Record<string, string>): boolean {
  const script = "await import('#local/stack.ts'); console.log(JSON.stringify(Boolean(process.namespaces?.AWSXRay)));";
  const { POWERTOOLS_TRACE_ENABLED: _a, AWS_XRAY_MANUAL_MODE: _b, ...rest } = process.env;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...rest, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? 'null') as boolean;
}

describe('the embedded runtime and the X-Ray SDK', () => {
  it('keeps the SDK out of its automatic mode, whose async hook tracks every promise, when nothing is traced', () => {
    expect(xrayNamespaceAfterLoading({})).toBe(false);
  });

  it('leaves the automatic mode alone when tracing is asked for', () => {
    expect(xrayNamespaceAfterLoading({ POWERTOOLS_TRACE_ENABLED: 'true' })).toBe(true);
  });
});
