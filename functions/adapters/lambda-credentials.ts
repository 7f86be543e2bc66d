import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The credentials provider of the Lambda code, in place of the SDK's default chain: esbuild's
 * `alias` (infra/bundling.ts) points `@aws-sdk/credential-provider-node` here in the layer that
 * holds the SDK clients, so each client's `credentialDefaultProvider` is this function.
 *
 * Lambda gives every function its execution role's credentials in the environment
 * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), for the life of the
 * execution environment, and that is the first provider the default chain tries. The rest of the
 * chain (SSO, INI files, process, web identity, the container and instance metadata endpoints,
 * and the STS and SSO-OIDC clients they bring) can never answer there, and took 57 KB and more
 * of every bundle (bench/RESULTS.md). The embedded runtime, the CLI and the tests run from source,
 * with the SDK's full chain.
 */
export function defaultProvider(init: FromEnvInit = {}) {
  return fromEnv(init);
}
