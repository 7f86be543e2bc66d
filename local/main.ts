import { z } from 'zod';
import { webhookSecretSchema } from '#adapters/secrets.ts';
import { demoClaims, signedCurl } from './demo.ts';
import { startStack } from './stack.ts';

/** `npm start`: the embedded stack with the demo storefront, until Ctrl-C. */
const env = z
  .object({
    MAKEGOOD_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
    MAKEGOOD_MAIL_PORT: z.coerce.number().int().min(0).max(65535).default(8005),
    MAKEGOOD_DATA_DIR: z.string().min(1).default('.makegood'),
    MAKEGOOD_DEMO_SECRET: z.string().min(8).default('demo-secret'),
    MAKEGOOD_FINANCE_KEY: z.string().min(8).default('demo-finance-key'),
    /** Where the demo storefront's webhook events go, and the `whsec_…` secret they are signed with. */
    MAKEGOOD_DEMO_WEBHOOK_URL: z.url().optional(),
    MAKEGOOD_DEMO_WEBHOOK_SECRET: webhookSecretSchema.optional(),
  })
  .refine((e) => (e.MAKEGOOD_DEMO_WEBHOOK_URL === undefined) === (e.MAKEGOOD_DEMO_WEBHOOK_SECRET === undefined), {
    message: 'set both MAKEGOOD_DEMO_WEBHOOK_URL and MAKEGOOD_DEMO_WEBHOOK_SECRET, or neither',
    path: ['MAKEGOOD_DEMO_WEBHOOK_SECRET'],
  })
  .safeParse(process.env);
if (!env.success) {
  for (const i of env.error.issues) console.error(`${String(i.path[0])}: ${i.message}`);
  process.exit(2);
}
const settings = env.data;
const started = Date.now();
const stack = await startStack({
  dataDir: settings.MAKEGOOD_DATA_DIR,
  apiPort: settings.MAKEGOOD_PORT,
  mailPort: settings.MAKEGOOD_MAIL_PORT,
  demoSecret: settings.MAKEGOOD_DEMO_SECRET,
  financeKey: settings.MAKEGOOD_FINANCE_KEY,
  // dynalite on the second core: 1.5 times the claims per second of one shared process (bench/RESULTS.md).
  dynalite: 'own-process',
  ...(settings.MAKEGOOD_DEMO_WEBHOOK_URL && settings.MAKEGOOD_DEMO_WEBHOOK_SECRET
    ? { demoWebhook: { url: settings.MAKEGOOD_DEMO_WEBHOOK_URL, secret: settings.MAKEGOOD_DEMO_WEBHOOK_SECRET } }
    : {}),
});
const demo = demoClaims();
console.log(`
makegood is running (embedded mode, started in ${Date.now() - started} ms)

  API              ${stack.apiUrl}        (GET ${stack.apiUrl}/health)
  Mailbox          ${stack.mailUrl}        (sent mail as JSON: ${stack.mailUrl}/store)
  Data directory   ${stack.dataDir}
  Storefront       id "demo", secret "${settings.MAKEGOOD_DEMO_SECRET}"
  Finance key      ${settings.MAKEGOOD_FINANCE_KEY}
  Webhooks         ${settings.MAKEGOOD_DEMO_WEBHOOK_URL ? `${settings.MAKEGOOD_DEMO_WEBHOOK_URL} (signed with MAKEGOOD_DEMO_WEBHOOK_SECRET)` : 'none (set MAKEGOOD_DEMO_WEBHOOK_URL and MAKEGOOD_DEMO_WEBHOOK_SECRET)'}
  Approvers        agent@demo.test, supervisor@demo.test, finance@demo.test (their links arrive in the mailbox)
  Agent console    ${stack.apiUrl}/console    (sign in as an approver: the link arrives in the mailbox)

A claim that is refunded automatically (paste into a shell):

${signedCurl(stack.apiUrl, 'demo', settings.MAKEGOOD_DEMO_SECRET, '/v1/claims', demo.auto)}

A claim that needs an agent's approval and a return:

${signedCurl(stack.apiUrl, 'demo', settings.MAKEGOOD_DEMO_SECRET, '/v1/claims', demo.approval)}

Ctrl-C stops everything; the data stays in ${stack.dataDir}.
`);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  await stack.close();
  console.log('stopped; data kept.');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
