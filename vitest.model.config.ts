import { defineConfig } from 'vitest/config';

/**
 * The model-based money test (`npm run test:model`): random orders and interleaved claims
 * against the embedded stack, 1,000 seeds by default (MAKEGOOD_MODEL_SEEDS sets how many).
 */
export default defineConfig({
  test: {
    include: ['test/model/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});
