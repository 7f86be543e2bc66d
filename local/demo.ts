/** Demo claims for the quick start, dated relative to today so they sit inside the return window. */
export function demoClaims(now = new Date()) {
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const customer = { id: 'C-42', email: 'ann@example.com', name: 'Ann', locale: 'uk' };
  return {
    /** A crushed chocolate box: perishable, with a photo, worth 25.00: refunded without return, automatically. */
    auto: {
      order: {
        id: 'ORD-1001',
        placedAt: daysAgo(7),
        deliveredAt: daysAgo(5),
        currency: 'EUR',
        paid: 5499,
        shipping: 499,
        items: [{ sku: 'CHOC-BOX', name: 'Chocolate box', category: 'food', quantity: 2, unitPrice: 2500 }],
      },
      customer,
      complaint: {
        reason: 'damaged',
        items: [{ sku: 'CHOC-BOX', quantity: 1 }],
        desiredOutcome: 'refund',
        message: 'The box arrived crushed.',
        channel: 'web',
        evidence: ['https://shop.example/uploads/123.jpg'],
      },
    },
    /** A faulty kettle worth 89.00: sent back first, and an agent approves the refund. */
    approval: {
      order: {
        id: 'ORD-1002',
        placedAt: daysAgo(12),
        deliveredAt: daysAgo(10),
        currency: 'EUR',
        paid: 9399,
        shipping: 499,
        items: [{ sku: 'KETTLE-1', name: 'Electric kettle', category: 'kitchen', quantity: 1, unitPrice: 8900 }],
      },
      customer: { id: 'C-77', email: 'petro@example.com', name: 'Petro', locale: 'uk' },
      complaint: {
        reason: 'defective',
        items: [{ sku: 'KETTLE-1', quantity: 1 }],
        desiredOutcome: 'refund',
        message: 'It switches itself off after a few seconds.',
        channel: 'email',
        evidence: [],
      },
    },
  };
}

/** A curl command that signs its own request with openssl, so it stays valid whenever it is pasted. */
export function signedCurl(apiUrl: string, storefrontId: string, secret: string, path: string, body: unknown): string {
  const json = JSON.stringify(body).replace(/'/g, "'\\''");
  return [
    `BODY='${json}'; T=$(date +%s); \\`,
    `SIG=$(printf '%s' "$T.POST.${path}.$BODY" | openssl dgst -sha256 -hmac '${secret}' | sed 's/^.*= //'); \\`,
    `curl -sS -X POST '${apiUrl}${path}' -H 'Content-Type: application/json' -H "Idempotency-Key: demo-$T-$RANDOM" \\`,
    `  -H 'X-Makegood-Storefront: ${storefrontId}' -H "X-Makegood-Signature: t=$T,v1=$SIG" --data "$BODY"`,
  ].join('\n');
}
