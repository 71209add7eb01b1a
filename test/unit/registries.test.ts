import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { loadConfig } from '../../plugin/config';
import { definePanelAction, PANEL_ACTIONS, withPanelActions } from '../../plugin/domain/panel-actions';
import { parseSettings, SETTING_KEYS, SETTINGS, withDefaults } from '../../plugin/domain/settings';
import { capabilityOf } from '../../plugin/domain/panel-actions';
import { TIER_DISCOUNT_ACTIONS, TIER_DISCOUNT_METHODS, programFromSettings, DEFAULT_PROGRAM } from '../../plugin/domain/program';
import { createPanelAdapter, PANEL_ADAPTER_NAMES, PANEL_ADAPTERS } from '../../plugin/panels/adapters';
import { DemoPanelApi } from '../../plugin/panels/demo/demo-panel-api';
import { GenericPanelApi } from '../../plugin/panels/generic/generic-panel-api';
import { settingsFrom, InvalidSettingsError } from '../../plugin/services/settings-service';
import { MANIFEST_PATH, panelActionsTable, README_PATH, renderManifest, renderReadme } from '../../scripts/docs';

const ping = definePanelAction({
  description: 'pings the client (test only)',
  payload: z.object({ clientId: z.string().min(1), note: z.string() }),
  capability: 'credit',
  onFailed: 'reverse_points',
  toWire: (p) => ({ client_id: p.clientId, note: p.note }),
  wire: z.object({ client_id: z.string(), note: z.string() }),
  example: { clientId: '42', note: 'hello' },
});

describe('docs generated from the registries', () => {
  it('README.md is current (run npm run docs)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(renderReadme(readme)).toBe(readme);
  });

  it('manifest.json is current (run npm run docs)', () => {
    const manifest = readFileSync(MANIFEST_PATH, 'utf8');
    expect(renderManifest(manifest)).toBe(manifest);
    const parsed = JSON.parse(manifest) as { panels: Array<{ name: string }>; settings: { properties: object }; panelActions: Array<{ name: string }> };
    expect(parsed.panels.map((p) => p.name)).toEqual(Object.keys(PANEL_ADAPTERS));
    expect(Object.keys(parsed.settings.properties)).toEqual(SETTING_KEYS);
    expect(parsed.panelActions.map((a) => a.name)).toEqual(Object.keys(PANEL_ACTIONS));
  });

  it('a README block that lost its markers is an error, not a silent skip', () => {
    expect(() => renderReadme('# no markers')).toThrow(/generated:settings/);
  });

  it('an action added to the table shows in the docs with its capability and compensation', () => {
    const table = panelActionsTable(withPanelActions({ 'test.ping': ping }));
    const row = table.split('\n').find((l) => l.startsWith('| `test.ping`'));
    expect(row).toContain('pings the client (test only)');
    expect(row).toContain('`credit`');
    expect(row).toContain('`clientId`, `note`');
    expect(row).toContain('`reverse_points` runs');
    expect(panelActionsTable()).not.toContain('test.ping');
  });
});

describe('panel actions registry', () => {
  it('refuses a name declared twice', () => {
    expect(() => withPanelActions({ 'client.credit': ping })).toThrow(/declared twice: client.credit/);
  });

  it('names the capability of each tier discount method through its action', () => {
    expect(TIER_DISCOUNT_METHODS.map((m) => [m, TIER_DISCOUNT_ACTIONS[m] && capabilityOf(TIER_DISCOUNT_ACTIONS[m])])).toEqual([
      ['invoice_line', 'invoiceDiscount'],
      ['client_tier', 'clientTier'],
      ['cashback', 'credit'],
      ['none', null],
    ]);
  });
});

describe('panel adapters registry', () => {
  const context = { webhookSecret: `whsec_${Buffer.from('0123456789abcdef0123').toString('base64')}`, clock: () => new Date() };

  it('the PANEL setting accepts exactly the registered adapters', () => {
    for (const name of PANEL_ADAPTER_NAMES) expect(loadConfig({ PANEL: name }).panel).toBe(name);
    expect(() => loadConfig({ PANEL: 'blesta' })).toThrow(/PANEL/);
  });

  it('builds each adapter from the config fields its options schema names', () => {
    expect(createPanelAdapter('demo', { panelActionsUrl: 'https://x.example/a' }, context)).toBeInstanceOf(DemoPanelApi);
    expect(createPanelAdapter('generic', {}, context)).toBeUndefined();
    expect(createPanelAdapter('generic', { panelActionsUrl: 'https://billing.example.com/rewards.php' }, context)).toBeInstanceOf(GenericPanelApi);
    expect(() => createPanelAdapter('generic', { panelActionsUrl: 'not a url' }, context)).toThrow(/generic panel adapter.*panelActionsUrl/);
  });
});

describe('settings registry', () => {
  it.each(SETTING_KEYS)('the default of %s fits its own schema', (key) => {
    expect(SETTINGS[key].schema.safeParse(SETTINGS[key].default).success).toBe(true);
  });

  it('an empty table is the defaults, and the default program follows from them', () => {
    expect(settingsFrom({})).toEqual(withDefaults({}));
    expect(programFromSettings(settingsFrom({}))).toEqual(DEFAULT_PROGRAM);
    expect(settingsFrom({ points_expiry_months: null }).points_expiry_months).toBeNull();
  });

  it('names every key at fault: a bad value, a bad nested value, an unknown key', () => {
    const parsed = parseSettings({ refund_window_days: -1, base_rule: { active: 'yes' }, refund_window_day: 7, earn_rates: { USD: '1' } });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems.map((p) => p.key)).toEqual(['refund_window_days', 'base_rule', 'refund_window_day']);
    expect(!parsed.ok && parsed.problems[1]?.message).toMatch(/^active: /);
    expect(!parsed.ok && parsed.problems[2]?.message).toBe('is not a known setting');
    const error = (() => {
      try {
        settingsFrom({ tier_grace_days: 'thirty' });
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(InvalidSettingsError);
    expect(error).toMatchObject({ code: 'config_invalid', keys: ['tier_grace_days'], message: expect.stringContaining('tier_grace_days') });
  });
});
