import { randomBytes } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { NotFoundError } from '../../errors';
import type { RateLimiter } from '../../db/rate-limits';
import type { Member } from '../../domain/member';
import type { AuthService } from '../../services/auth-service';
import type { RedemptionService } from '../../services/redemption-service';
import type { Csrf } from '../csrf';
import { byIp, rateLimit } from '../rate-limit';
import { principalOf, sessionGuard } from '../session';
import { mountOf, mountUrl } from '../urls';
import type { ViewRenderer } from '../views';
import type { RedeemPresenter } from './redeem-presenter';

/** A route parameter that must be one of our ids; anything else is a page that doesn't exist. */
function idParam(value: unknown): number {
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) throw new NotFoundError('not_found', { message: 'No such page' });
  return Number(value);
}

/**
 * The points a flexible reward's form posted, in decimal digits: a whole number, or one with only
 * zeros after the point, which a number field may send for the same value ("100.0" is 100).
 * Anything else (an exponent, a sign, hex, other scripts' digits, "100.5") is NaN, and the
 * reward refuses it as `invalid_points` on its page, as it does an amount off its steps; so
 * does a number too large to be exact.
 */
function pointsOf(text: string): number {
  const whole = /^(\d+)(?:\.0+)?$/.exec(text)?.[1];
  return whole === undefined ? Number.NaN : Number(whole);
}

/** What the confirmation form posted: raw strings, checked by the redemption service. */
function posted(req: Request): { key: string; points?: number; terms?: string } {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const text = typeof body.points === 'string' ? body.points.trim() : '';
  const points = text === '' ? undefined : pointsOf(text);
  return { key: typeof body.key === 'string' ? body.key : '', ...(points !== undefined && { points }), ...(typeof body.terms === 'string' && { terms: body.terms }) };
}

/**
 * Redeeming, without JavaScript: the catalog, a confirmation page whose form carries a fresh
 * one-time key (a second post of it returns the first redemption), and the redemption's page.
 * The client is always the session's; ids in URLs and forms are only ever looked up within it.
 */
export function redeemRouter(deps: {
  auth: AuthService;
  redemptions: RedemptionService;
  presenter: RedeemPresenter;
  views: ViewRenderer;
  csrf: Csrf;
  /** Confirmations per member and per address (absent: not limited). */
  limits?: { perMember?: RateLimiter; perIp?: RateLimiter };
  /** The program's default language, the last choice for the pages' language (as the tab's). */
  defaultLanguage?: () => Promise<string>;
}): Router {
  const router = Router();
  const requireClient = sessionGuard(deps.auth)('client');

  const send = (res: Response, status: number, template: string, model: object, i18n: Parameters<ViewRenderer['render']>[2]['i18n']) => {
    res.set('Cache-Control', 'no-store');
    res.status(status).type('html').send(deps.views.render(template, model, { i18n, mount: mountOf(res) }));
  };

  const language = async (req: Request, res: Response, member: Member | null) =>
    deps.presenter.i18nFor(member, { sessionLocale: principalOf(res, 'client').locale, accepted: req.acceptsLanguages(), programDefault: await deps.defaultLanguage?.() });

  const confirmPage = async (req: Request, res: Response, form: { key: string; refusal?: Parameters<RedeemPresenter['confirm']>[1]['refusal'] }, status: number) => {
    const client = principalOf(res, 'client');
    const rewardId = idParam(req.params.rewardId);
    const { member, offers } = await deps.redemptions.catalog(client.clientId);
    const offer = offers.find((o) => o.reward.id === rewardId);
    if (!offer && !form.refusal) throw new NotFoundError('not_found', { message: `No reward ${rewardId} on offer` });
    const i18n = await language(req, res, member);
    if (!offer) {
      // Posted for a reward the catalog doesn't offer: taken off while its page was open, or a
      // draft, one not started yet, or no reward at all. Every case reads the same and shows
      // nothing of the reward, so a post can't read what the catalog hides by counting ids.
      send(res, status, 'client/redeem-unavailable', deps.presenter.unavailable(i18n, mountOf(res)), i18n);
      return;
    }
    // A flexible reward is decided at its smallest amount, which may not be the member's: only a
    // refusal about the reward itself (a code this panel can't deliver) is shown before they choose.
    const shown = !offer.decision.ok && (offer.reward.costPoints !== null || offer.delivery === null);
    const refusal = form.refusal ?? (shown && !offer.decision.ok ? { code: offer.decision.refusal, needed: offer.decision.needed } : undefined);
    const model = deps.presenter.confirm(i18n, { reward: offer.reward, member, key: form.key, csrfToken: deps.csrf.token(req, res), mount: mountOf(res), refusal, delivery: offer.delivery });
    send(res, status, 'client/redeem-confirm', model, i18n);
  };

  router.get('/client/rewards/redeem', requireClient, async (req, res) => {
    const client = principalOf(res, 'client');
    const { member, offers, recent, timeZone } = await deps.redemptions.catalog(client.clientId);
    const i18n = await language(req, res, member);
    send(res, 200, 'client/redeem-catalog', deps.presenter.catalog(i18n, member, offers, recent, mountOf(res), timeZone), i18n);
  });

  router.get('/client/rewards/redeem/:rewardId', requireClient, (req, res) => confirmPage(req, res, { key: randomBytes(18).toString('base64url') }, 200));

  // Counted once the post is a member's own form (session and CSRF token checked): the address
  // first, so members sharing one can't add up to more than it allows, then the member.
  const perIp = rateLimit(deps.limits?.perIp, byIp, 'redemptions from this address');
  const perMember = rateLimit(deps.limits?.perMember, (_req, res) => `client:${principalOf(res, 'client').clientId}`, 'redemptions for this member');
  router.post('/client/rewards/redeem/:rewardId', requireClient, express.urlencoded({ extended: false, limit: '4kb' }), deps.csrf.protect, perIp, perMember, async (req, res) => {
    const client = principalOf(res, 'client');
    const form = posted(req);
    const result = await deps.redemptions.redeem(client.clientId, {
      rewardId: idParam(req.params.rewardId),
      idempotencyKey: form.key,
      ...(form.points !== undefined && { points: form.points }),
      ...(form.terms !== undefined && { terms: form.terms }),
    });
    if (result.ok) {
      res.redirect(303, mountUrl(mountOf(res), `client/redemptions/${result.redemption.id}`));
      return;
    }
    // Nothing was written, so the same key may be posted again once the member has fixed it.
    await confirmPage(req, res, { key: form.key, refusal: { code: result.refusal, needed: result.needed } }, 422);
  });

  router.get('/client/redemptions/:id', requireClient, async (req, res) => {
    const client = principalOf(res, 'client');
    const redemption = await deps.redemptions.find(client.clientId, idParam(req.params.id));
    if (!redemption) throw new NotFoundError('not_found', { message: 'No such redemption' });
    const i18n = await language(req, res, redemption.member);
    send(res, 200, 'client/redemption', deps.presenter.redemption(i18n, redemption, redemption.reward, mountOf(res), redemption.timeZone), i18n);
  });

  return router;
}
