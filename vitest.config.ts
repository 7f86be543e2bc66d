import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Heavier suites run by their own scripts (and .ci/run): real Chromium needs an install
    // (`npm run test:browser`), the model-based money test runs 1,000 seeds (`npm run test:model`),
    // the HTTP fuzz sends 10,000 requests (`npm run test:fuzz`), and the crash suite kills the
    // stack again and again (`npm run test:crash`).
    exclude: ['test/browser/**', 'test/model/**', 'test/fuzz/**', 'test/crash/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_TRACE_ENABLED: 'false' },
  },
});
