import type { ConsoleSession } from '#domain/people-tokens.ts';
import { SESSION_HOURS } from '#domain/people-tokens.ts';
import {
  closeFollowUp,
  consoleClaim,
  consoleDecide,
  consoleQueue,
  currentSession,
  type FreshNonce,
  freshFormNonce,
  lookupLogin,
  newFormNonce,
  requestLogin,
  signIn,
  signOut,
  spendFormNonce,
} from '#usecases/console.ts';
import {
  claimPage,
  consoleProblemPage,
  decidedPage,
  loginConfirmPage,
  loginProblemPage,
  loginSentPage,
  queuePage,
  refusedPage,
  signInPage,
} from '#views/console.ts';
import {
  type HttpRequest,
  type HttpResult,
  html,
  httpHandler,
  isSameOriginPost,
  ownOrigin,
  readForm,
  repeatedFieldMessage,
} from './http.ts';
import { runtimeDeps } from './runtime.ts';

/** The session cookie: only sent to the console, never to script, never on a cross-site request. */
const COOKIE = 'mg_console';

function cookieFor(value: string, req: HttpRequest, maxAgeSeconds: number): string {
  const secure = originOf(req).startsWith('https:') ? '; Secure' : '';
  return `${COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/** The console's own origin: the public URL's when one is configured, else the request's. */
function originOf(req: HttpRequest): string {
  return ownOrigin(req, runtimeDeps().publicUrl);
}

/** Whether a console POST comes from the console's own pages (a post without `Origin` does not). */
function fromConsole(req: HttpRequest): boolean {
  return isSameOriginPost(req, originOf(req), { originRequired: true });
}

function redirect(location: string, cookies?: string[]): HttpResult {
  return { statusCode: 303, headers: { location, 'cache-control': 'no-store' }, body: '', ...(cookies ? { cookies } : {}) };
}

const page = (status: number, body: string) => html(status, body, { images: true, sameOriginReferrer: true });

/**
 * Every console POST passes three checks before it reads anything else: the `Origin` is the
 * console's own, the session cookie opens a live session, and the form (each field sent once)
 * carries a nonce made for this session and not used before. Any failure changes nothing. The
 * nonce is spent only once the form did its work, so a refused form writes nothing either.
 */
async function guardPost(
  req: HttpRequest,
): Promise<{ ok: true; session: ConsoleSession; form: ReadonlyMap<string, string>; nonce: FreshNonce } | { ok: false; res: HttpResult }> {
  const deps = runtimeDeps();
  if (!fromConsole(req)) {
    const p = refusedPage('origin');
    return { ok: false, res: page(p.status, p.body) };
  }
  const session = await currentSession(req.cookies[COOKIE], deps);
  if (!session) {
    const p = refusedPage('session');
    return { ok: false, res: page(p.status, p.body) };
  }
  const form = readForm(req);
  if (!form.ok && form.problem === 'repeated_field') {
    // Refused before the nonce is spent: the same page can send the form again, each field once.
    const shopName = (await deps.state.storefront(session.storefrontId))?.name ?? session.storefrontId;
    return {
      ok: false,
      res: page(400, consoleProblemPage('bad_form', repeatedFieldMessage(form.field), '/console', await who(session, shopName))),
    };
  }
  const nonce = form.ok ? await freshFormNonce(session, form.fields.get('nonce'), deps) : undefined;
  if (!form.ok || !nonce) {
    const p = refusedPage('nonce');
    return { ok: false, res: page(p.status, p.body) };
  }
  return { ok: true, session, form: form.fields, nonce };
}

async function who(session: ConsoleSession, shopName: string) {
  return { email: session.email, shopName, logoutNonce: await newFormNonce(session, runtimeDeps()) };
}

/**
 * `/console…`: the agent console (see DESIGN.md, "People"). GET and HEAD only read; every POST
 * is guarded by {@link guardPost}, except the two sign-in steps, which have no session yet and
 * check the `Origin` and the link instead.
 */
export const handler = httpHandler(async (req): Promise<HttpResult> => {
  const res = await route(req);
  return req.method === 'HEAD' ? { ...res, body: '' } : res;
});

async function route(req: HttpRequest): Promise<HttpResult> {
  const deps = runtimeDeps();
  const path = req.pathWithQuery.split('?')[0] ?? '';
  const now = deps.clock.now();
  const read = req.method === 'GET' || req.method === 'HEAD';

  if (path === '/console' && read) {
    const session = await currentSession(req.cookies[COOKIE], deps);
    if (!session) return page(200, signInPage());
    const queue = await consoleQueue(session, deps);
    return page(200, queuePage(queue, await newFormNonce(session, deps), now));
  }

  if (path === '/console/login' && req.method === 'POST') {
    if (!fromConsole(req)) return page(403, refusedPage('origin').body);
    const form = readForm(req);
    if (!form.ok && form.problem === 'repeated_field') return page(400, signInPage(repeatedFieldMessage(form.field)));
    const email = form.ok ? (form.fields.get('email') ?? '') : '';
    if (email.trim() === '') return page(400, signInPage('Enter your email address.'));
    await requestLogin(email, deps);
    return page(200, loginSentPage());
  }

  const token = req.pathParameters.token;
  if (token !== undefined && path.startsWith('/console/login/')) {
    if (read) {
      const found = await lookupLogin(token, deps);
      if (!found.ok) {
        const p = loginProblemPage(found.problem);
        return page(p.status, p.body);
      }
      return page(200, loginConfirmPage({ email: found.who.email, shopName: found.shopName, action: path }));
    }
    if (!fromConsole(req)) return page(403, refusedPage('origin').body);
    const signed = await signIn(token, deps);
    if (!signed.ok) {
      const p = loginProblemPage(signed.problem);
      return page(p.status, p.body);
    }
    return redirect('/console', [cookieFor(signed.cookie, req, SESSION_HOURS * 3600)]);
  }

  const claimId = req.pathParameters.claimId;
  if (claimId !== undefined && read) {
    const session = await currentSession(req.cookies[COOKIE], deps);
    if (!session) return redirect('/console');
    const c = await consoleClaim(session, claimId, deps);
    if (!c) {
      const shopName = (await deps.state.storefront(session.storefrontId))?.name ?? session.storefrontId;
      return page(404, consoleProblemPage('unknown_claim', undefined, '/console', await who(session, shopName)));
    }
    const close = new Map<string, string>();
    for (const id of c.closable) close.set(id, await newFormNonce(session, deps));
    return page(
      200,
      claimPage(c, { decide: await newFormNonce(session, deps), logout: await newFormNonce(session, deps), close }, session, now),
    );
  }

  if (req.method !== 'POST') {
    const res = page(405, '');
    return { ...res, headers: { ...res.headers, allow: 'GET, HEAD, POST' } };
  }
  const guarded = await guardPost(req);
  if (!guarded.ok) return guarded.res;
  const { session, form, nonce } = guarded;

  if (path === '/console/logout') {
    await signOut(session, deps);
    await spendFormNonce(nonce, deps);
    return redirect('/console', [cookieFor('', req, 0)]);
  }

  const shopName = (await deps.state.storefront(session.storefrontId))?.name ?? session.storefrontId;
  if (claimId !== undefined) {
    const outcome = await consoleDecide(
      session,
      claimId,
      {
        decision: form.get('decision'),
        amount: form.get('amount'),
        note: form.get('note'),
        customerNote: form.get('customerNote'),
        ip: req.sourceIp,
        userAgent: req.userAgent,
      },
      deps,
    );
    const back = `/console/claims/${encodeURIComponent(claimId)}`;
    if (!outcome) return page(404, consoleProblemPage('unknown_claim', undefined, '/console', await who(session, shopName)));
    if (!outcome.ok) {
      const status =
        { bad_form: 400, note_required: 400, above_proposal: 422, above_limit: 422, foreign: 403 }[outcome.problem as string] ?? 409;
      return page(status, consoleProblemPage(outcome.problem, outcome.message, back, await who(session, shopName)));
    }
    await spendFormNonce(nonce, deps);
    return page(200, decidedPage(outcome, await who(session, shopName)));
  }

  const followUpId = req.pathParameters.followUpId;
  if (followUpId !== undefined) {
    const closed = await closeFollowUp(
      session,
      followUpId,
      { note: form.get('note') ?? '', ip: req.sourceIp, userAgent: req.userAgent },
      deps,
    );
    const back = closed.claimId ? `/console/claims/${encodeURIComponent(closed.claimId)}` : '/console';
    if (!closed.ok) {
      const status = closed.problem === 'not_found' ? 404 : closed.problem === 'note_required' ? 400 : 409;
      return page(status, consoleProblemPage(closed.problem, undefined, back, await who(session, shopName)));
    }
    await spendFormNonce(nonce, deps);
    return redirect(back);
  }
  return page(404, consoleProblemPage('not_found', undefined, '/console', await who(session, shopName)));
}
