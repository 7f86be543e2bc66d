/**
 * The names of makegood's secrets, under a deployment's prefix (Secrets Manager) or the embedded
 * stack's directory (files). Plain data, like table-schema.ts: the CDK names and grants the same
 * secrets that secrets.ts reads.
 */
export const secretNames = {
  /** The keys of every link, cookie and form nonce (kind `approval`). */
  approvalKeys: 'approval-keys',
  /** The finance API's bearer key (kind `finance`). */
  financeKey: 'finance-key',
  /** Every storefront's secrets are under this folder (kind `storefronts`). */
  storefrontsFolder: 'storefronts',
  /** One storefront's signing and webhook secrets. */
  storefront: (storefrontId: string) => `storefronts/${storefrontId}`,
} as const;
