import express, { Router, type Request, type Response } from 'express';
import { NotFoundError } from '../../errors';
import type { ProgramAdminService, SaveResult } from '../../services/program-admin-service';
import { mountOf } from '../urls';
import { idParam, sendPage, type AdminPageDeps } from './admin-pages';
import { programView, type ProgramFormState } from './program-presenter';

const OWNER = ['owner'] as const;

/**
 * The program page (owner only, reading included: it is where the program is changed): the
 * settings form generated from the registry, and forms for tiers, earning rules and rewards.
 * A save answers with the page: the changes with their before and after, or, with 422, the
 * posted values and each field's problems. Nothing is written unless every field is valid.
 */
export function programRouter(deps: AdminPageDeps & { program: ProgramAdminService }): Router {
  const router = Router();
  const guard = deps.requireAdmin(OWNER);
  const body = express.urlencoded({ extended: false, limit: '64kb' });

  const page = async (req: Request, res: Response, status: number, form: ProgramFormState) => {
    const i18n = await deps.i18nFor(req, res);
    const state = await deps.program.state();
    sendPage(deps, res, i18n, status, 'admin/program', programView(i18n, state, form, deps.csrf.token(req, res), mountOf(res)));
  };

  const answer = async (req: Request, res: Response, kind: 'settings' | 'tier' | 'rule' | 'reward', id: number | undefined, result: SaveResult | null) => {
    if (result === null) throw new NotFoundError('not_found', { message: `No ${kind} ${id}` });
    if (result.ok) await page(req, res, 200, { changes: result.changes });
    else await page(req, res, 422, { form: { kind, id, problems: result.problems, posted: (req.body ?? {}) as Record<string, unknown> } });
  };

  router.get('/admin/program', guard, (req, res) => page(req, res, 200, {}));
  router.post('/admin/program/settings', guard, body, deps.csrf.protect, async (req, res) => {
    await answer(req, res, 'settings', undefined, await deps.program.saveSettings(deps.contextOf(req, res), (req.body ?? {}) as Record<string, unknown>));
  });
  router.post('/admin/program/tiers/:id', guard, body, deps.csrf.protect, async (req, res) => {
    const id = idParam(req.params.id);
    await answer(req, res, 'tier', id, await deps.program.saveTier(deps.contextOf(req, res), id, (req.body ?? {}) as Record<string, unknown>));
  });
  router.post('/admin/program/rules/:id', guard, body, deps.csrf.protect, async (req, res) => {
    const id = idParam(req.params.id);
    await answer(req, res, 'rule', id, await deps.program.saveRule(deps.contextOf(req, res), id, (req.body ?? {}) as Record<string, unknown>));
  });
  router.post('/admin/program/rewards/:id', guard, body, deps.csrf.protect, async (req, res) => {
    const id = idParam(req.params.id);
    await answer(req, res, 'reward', id, await deps.program.saveReward(deps.contextOf(req, res), id, (req.body ?? {}) as Record<string, unknown>));
  });
  return router;
}
