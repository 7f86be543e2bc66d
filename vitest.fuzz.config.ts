import { defineConfig } from 'vitest/config';

/**
 * The HTTP fuzz suite (`npm run test:fuzz`): hostile requests generated with fast-check against
 * the real HTTP server of the embedded stack, 10,000 by default (MAKEGOOD_FUZZ_RUNS sets how many,
 * MAKEGOOD_FUZZ_SEED the seed).
 */
export default defineConfig({
  test: {
    include: ['test/fuzz/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});
