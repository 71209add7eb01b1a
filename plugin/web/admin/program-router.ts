import type { Request, Response } from 'express';
import type { FieldProblem } from '../../domain/validation';
import { NotFoundError } from '../../errors';
import { FORM_KEY_PATTERN } from '../../services/admin-member-service';
import type { RewardSaveResult, SaveResult } from '../../services/program-admin-service';
import { mountOf } from '../urls';
import type { AdminPageContext } from './admin-deps';
import { OWNER_ONLY, type AdminRoute } from './admin-routes';
import { idParam } from './admin-query';
import { newFormKey } from './form-key';
import { adminContext } from './admin-page';
import { programView, type ProgramFormState } from './program-presenter';
import { rewardEditorView, type RewardEditorState } from './reward-editor-presenter';

type FormKind = 'settings' | 'tier' | 'rule' | 'new_rule';

/**
 * `/admin/settings` (owner only, reading included: it is where the program is changed): the
 * settings form generated from the registry, forms for tiers and earning rules (and a new
 * rule, keyed by a one-time key), and the rewards catalog with an editor per reward.
 * A save answers with the page: the changes with their before and after, or, with 422, the
 * posted values and each field's problems beside the field. Nothing is written unless every
 * field is valid.
 */
export function programRoutes({ deps, pages }: AdminPageContext): AdminRoute[] {
  const admin = deps.data.program;

  const page = async (req: Request, res: Response, status: number, form: ProgramFormState) => {
    const i18n = await pages.i18n(req);
    const state = await admin.state();
    await pages.render(req, res, 'admin/program', programView(i18n, state, { ...form, newRuleKey: form.newRuleKey ?? newFormKey() }, mountOf(res)), { current: 'settings', status, i18n });
  };

  const answer = async (req: Request, res: Response, kind: FormKind, id: number | undefined, result: SaveResult | null) => {
    if (result === null) throw new NotFoundError('not_found', { message: `No ${kind} ${id}` });
    if (result.ok) await page(req, res, 200, { changes: result.changes });
    else await page(req, res, 422, { form: { kind, id, problems: result.problems, posted: posted(req) }, newRuleKey: kind === 'new_rule' ? retryKey(req, result.problems) : undefined });
  };

  const posted = (req: Request) => (req.body ?? {}) as Record<string, unknown>;
  // A refused new rule made nothing: corrected and sent again, the same key makes it once. A key
  // that was itself refused (not one of ours) is replaced, or the form could never be sent.
  const retryKey = (req: Request, problems: readonly FieldProblem[]) => {
    const key = posted(req).key;
    return typeof key === 'string' && !problems.some((p) => p.path === 'key') ? key : undefined;
  };
  const edit = (path: string, kind: Exclude<FormKind, 'settings'>, save: (req: Request, res: Response, id: number) => Promise<SaveResult | null>): AdminRoute => ({
    method: 'post',
    path,
    roles: OWNER_ONLY,
    handler: async (req, res) => {
      const id = idParam(req.params.id);
      await answer(req, res, kind, id, await save(req, res, id));
    },
  });

  return [
    { method: 'get', path: '/settings', roles: OWNER_ONLY, handler: (req, res) => page(req, res, 200, {}) },
    {
      method: 'post',
      path: '/settings',
      roles: OWNER_ONLY,
        handler: async (req, res) => answer(req, res, 'settings', undefined, await admin.saveSettings(adminContext(req, res), posted(req))),
    },
    edit('/settings/tiers/:id', 'tier', (req, res, id) => admin.saveTier(adminContext(req, res), id, posted(req))),
    {
      method: 'post',
      path: '/settings/rules',
      roles: OWNER_ONLY,
      handler: async (req, res) => answer(req, res, 'new_rule', undefined, await admin.createRule(adminContext(req, res), posted(req))),
    },
    edit('/settings/rules/:id', 'rule', (req, res, id) => admin.saveRule(adminContext(req, res), id, posted(req))),
    ...rewardRoutes(),
  ];

  /**
   * The rewards catalog: a page per reward with every field, and one to add a reward. A save
   * answers with the editor: the changes with their before and after, or, with 422, the
   * posted values and each field's problems.
   */
  function rewardRoutes(): AdminRoute[] {
    const editor = async (req: Request, res: Response, status: number, state: RewardEditorState) => {
      const i18n = await pages.i18n(req);
      const ctx = await admin.rewardFormContext(state.reward);
      const view = rewardEditorView(i18n, ctx, state, mountOf(res));
      await pages.render(req, res, 'admin/reward', view, { current: 'settings', status, i18n });
    };
    const reward = async (id: number) => {
      const found = await admin.reward(id);
      if (!found) throw new NotFoundError('not_found', { message: `No reward ${id}` });
      return found;
    };
    const answer = async (req: Request, res: Response, result: RewardSaveResult, state: RewardEditorState) => {
      if (result.ok) await editor(req, res, 200, { reward: await reward(result.id), changes: result.changes });
      else await editor(req, res, 422, { ...state, problems: result.problems, posted: posted(req) });
    };
    return [
      { method: 'get', path: '/settings/rewards/new', roles: OWNER_ONLY, handler: (req, res) => editor(req, res, 200, { key: newFormKey() }) },
      {
        method: 'post',
        path: '/settings/rewards',
        roles: OWNER_ONLY,
        handler: async (req, res) => {
          // A refused form keeps its key, so the corrected post is still the one reward.
          const postedKey = posted(req).key;
          const key = typeof postedKey === 'string' && FORM_KEY_PATTERN.test(postedKey) ? postedKey : newFormKey();
          await answer(req, res, await admin.createReward(adminContext(req, res), posted(req)), { key });
        },
      },
      { method: 'get', path: '/settings/rewards/:id', roles: OWNER_ONLY, handler: async (req, res) => editor(req, res, 200, { reward: await reward(idParam(req.params.id)) }) },
      {
        method: 'post',
        path: '/settings/rewards/:id',
        roles: OWNER_ONLY,
        handler: async (req, res) => {
          const id = idParam(req.params.id);
          const result = await admin.saveReward(adminContext(req, res), id, posted(req));
          if (result === null) throw new NotFoundError('not_found', { message: `No reward ${id}` });
          await answer(req, res, result, { reward: await reward(id) });
        },
      },
    ];
  }
}
