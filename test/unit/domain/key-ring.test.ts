import { describe, expect, it } from 'vitest';
import { formNonce, signApprovalToken, verifyApprovalToken, verifyFormNonce } from '#domain/approval-token.ts';
import { keyRing, singleKeyRing } from '#domain/key-ring.ts';
import { checkFormNonce, formNonceFor, openStatusToken, STATUS_LINK_DAYS, statusToken } from '#domain/people-tokens.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const K1 = Buffer.from('0123456789abcdef0123456789abcdef');
const K2 = Buffer.from('fedcba9876543210fedcba9876543210');
const before = singleKeyRing(K1);
const retiresAt = new Date(NOW.getTime() + STATUS_LINK_DAYS * 86_400_000);
const after = keyRing('k2', [
  { id: 'k2', key: K2 },
  { id: 'k1', key: K1, retiresAt },
]);
const grant = { claimId: 'clm_1', round: 1, role: 'agent' as const, approver: 'agent@demo.test', expiresAt: NOW.getTime() / 1000 + 86_400 };

describe('key rotation', () => {
  it('names the sealing key in every token, and seals new tokens with the current key', () => {
    // act
    const old = statusToken('clm_1', before, NOW);
    const fresh = statusToken('clm_1', after, NOW);

    // assert
    expect(old).toMatch(/^s1\.k1\./);
    expect(fresh).toMatch(/^s1\.k2\./);
    expect(signApprovalToken(grant, after)).toMatch(/^v2\.k2\./);
  });

  it('keeps every link sealed before a rotation working until its key retires, and then refuses it', () => {
    // arrange
    const status = statusToken('clm_1', before, NOW);
    const approval = signApprovalToken(grant, before);
    const nonce = formNonce(approval, before);

    // act
    const justBefore = new Date(retiresAt.getTime() - 1000);
    const opened = openStatusToken(status, after, justBefore);
    const retired = openStatusToken(status, after, retiresAt);

    // assert
    expect(opened).toEqual({ ok: true, value: { claimId: 'clm_1' } });
    expect(retired).toEqual({ ok: false, problem: 'tampered' });
    expect(verifyApprovalToken(approval, after, NOW)).toMatchObject({ ok: true, grant: { claimId: 'clm_1' } });
    expect(verifyFormNonce(approval, nonce, after, NOW)).toBe(true);
    expect(verifyFormNonce(approval, nonce, after, retiresAt)).toBe(false);
  });

  it('refuses a token whose key id was changed, even to a key of the ring', () => {
    // arrange
    const token = statusToken('clm_1', after, NOW);

    // act — the key id is authenticated with the version, so relabelling it fails as a whole
    const relabelled = token.replace(/^s1\.k2\./, 's1.k1.');
    const unknown = token.replace(/^s1\.k2\./, 's1.k9.');
    const noId = token.replace(/^s1\.k2\./, 's1.');
    const badId = token.replace(/^s1\.k2\./, 's1.K2.');

    // assert
    expect(openStatusToken(relabelled, after, NOW)).toEqual({ ok: false, problem: 'tampered' });
    expect(openStatusToken(unknown, after, NOW)).toEqual({ ok: false, problem: 'tampered' });
    // without a key id it is read as a token of before key ids, sealed by k1 under `s1` alone: it does not authenticate
    expect(openStatusToken(noId, after, NOW)).toEqual({ ok: false, problem: 'tampered' });
    expect(openStatusToken(badId, after, NOW)).toEqual({ ok: false, problem: 'malformed' });
  });

  it('keeps console form nonces of the old key valid during the grace period only', () => {
    // arrange
    const nonce = formNonceFor('session-1234567890', before);

    // act
    const during = checkFormNonce(nonce, 'session-1234567890', after, NOW);
    const retired = checkFormNonce(nonce, 'session-1234567890', after, retiresAt);
    const otherSession = checkFormNonce(nonce, 'session-0000000000', after, NOW);

    // assert
    expect(during).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(retired).toBeUndefined();
    expect(otherSession).toBeUndefined();
  });

  it('never retires the current key, and refuses a ring whose current key is missing', () => {
    // arrange
    const ring = keyRing('k1', [{ id: 'k1', key: K1, retiresAt: new Date('2020-01-01T00:00:00.000Z') }]);

    // act
    const reopened = openStatusToken(statusToken('clm_1', ring, NOW), ring, NOW);

    // assert
    expect(reopened.ok).toBe(true);
    expect(() => keyRing('k3', [{ id: 'k1', key: K1 }])).toThrow(/current key k3 is not among its keys \(k1\)/);
  });
});
