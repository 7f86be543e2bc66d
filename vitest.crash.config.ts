import { defineConfig } from 'vitest/config';

/**
 * The crash suite (`npm run test:crash`): `npm start` as a child process, killed with SIGKILL at
 * random instants while clients file, approve and return claims; then the invariants of issue 13.
 * 60 claims and 8 kills by default; `MAKEGOOD_CRASH_CLAIMS=200 MAKEGOOD_CRASH_KILLS=20` is the full
 * size, and `MAKEGOOD_CRASH_SEED` replays a run (test/crash/crash.test.ts lists every setting).
 */
export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'ERROR' },
  },
});
