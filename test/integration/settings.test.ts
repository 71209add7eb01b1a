import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../plugin/config';
import { ConfigError, ValidationError } from '../../plugin/errors';
import { createPlugin } from '../../plugin/index';
import { createLogger } from '../../plugin/logger';
import { InvalidSettingsError, SettingsService } from '../../plugin/services/settings-service';
import { invoicePaid, startTestApp, tableCounts, TEST_SECRETS, type TestApp } from '../support/harness';

const ROOT = path.resolve(__dirname, '../..');

describe('program settings', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const settings = () => app.plugin.services.settings;
  /** Writes a row as a provider editing the table would, past the service's validation. */
  const storeRaw = async (key: string, value: unknown) => {
    await app.plugin.db.repos.settings.set(key, value, app.clock.now());
    settings().invalidate();
  };
  const dropRaw = async (key: string) => {
    await app.plugin.db.knex('loyalty_settings').where({ key }).delete();
    settings().invalidate();
  };

  it.each([
    ['a value that does not fit its key', 'refund_window_days', -3],
    ['a tier value that does not fit its key', 'tier_grace_days', 'thirty'],
    ['a key nothing declares (a misspelt one)', 'refund_window_day', 7],
  ])('%s refuses events with an error naming the key, and writes nothing', async (_label, key, value) => {
    const original = await app.plugin.db.knex('loyalty_settings').where({ key }).first();
    await storeRaw(key, value);
    try {
      await expect(settings().snapshot()).rejects.toThrow(InvalidSettingsError);
      await expect(settings().snapshot()).rejects.toMatchObject({ keys: [key], code: 'config_invalid' });
      await expect(app.plugin.services.program.current()).rejects.toThrow(new RegExp(`\\b${key}\\b`));
      const before = await tableCounts(app.plugin);
      const res = await app.send(invoicePaid({ client: { id: `s-${key}` } })).expect(500);
      expect(res.body).toMatchObject({ error: 'config_invalid', message: expect.stringContaining(key), help: expect.stringContaining('loyalty_settings') });
      expect(await tableCounts(app.plugin)).toEqual(before);
    } finally {
      if (original) await storeRaw(key, JSON.parse(original.value));
      else await dropRaw(key);
    }
    await app.send(invoicePaid({ client: { id: `s-${key}` } })).expect(200);
  });

  /** A row's value as a provider editing the table by hand might leave it: not JSON at all. */
  const storeText = async (key: string, text: string) => {
    await app.plugin.db.knex('loyalty_settings').where({ key }).update({ value: text });
    settings().invalidate();
  };

  it.each([
    ['not JSON', 'refund_window_days', '{bad'],
    ['empty', 'refund_window_days', ''],
    ['a string without its quotes', 'time_zone', 'Europe/Berlin'],
  ])('a stored value that is %s refuses events with config_invalid naming the key, and writes nothing', async (_label, key, text) => {
    await app.plugin.services.program.update({ [key]: key === 'time_zone' ? 'UTC' : 0 });
    const original = await app.plugin.db.knex('loyalty_settings').where({ key }).first();
    await storeText(key, text);
    try {
      const named = expect.stringContaining(`${key}: is not valid JSON`);
      await expect(settings().snapshot()).rejects.toMatchObject({ keys: [key], code: 'config_invalid', message: named });
      const before = await tableCounts(app.plugin);
      const res = await app.send(invoicePaid({ client: { id: `s-json-${key}` } })).expect(500);
      expect(res.body).toMatchObject({ error: 'config_invalid', message: named, help: expect.stringContaining('loyalty_settings') });
      expect(await tableCounts(app.plugin)).toEqual(before);
    } finally {
      await storeText(key, String(original.value));
    }
    await app.send(invoicePaid({ client: { id: `s-json-${key}` } })).expect(200);
  });

  it('at start-up, a stored value that is not JSON stops the plugin and the sidecar with an error naming the key', async () => {
    const original = await app.plugin.db.knex('loyalty_settings').where({ key: 'refund_window_days' }).first();
    await storeText('refund_window_days', '{bad');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hr-settings-'));
    try {
      const plugin = createPlugin({ config: { ...loadConfig({}), databaseUrl: app.db.url, panel: 'generic' }, secrets: TEST_SECRETS, logger: createLogger('silent') });
      try {
        await expect(plugin.init()).rejects.toMatchObject({ code: 'config_invalid', keys: ['refund_window_days'] });
      } finally {
        await plugin.shutdown();
      }
      const sidecar = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [path.join(ROOT, 'dist/plugin/server.js')],
          {
            cwd: ROOT,
            env: { PATH: process.env.PATH ?? '', DATABASE_URL: app.db.url, DATA_DIR: dataDir, PANEL: 'generic', PORT: '0', WEBHOOK_SECRET: TEST_SECRETS.webhook, SSO_SECRET: TEST_SECRETS.sso, SESSION_SECRET: TEST_SECRETS.session, LOG_LEVEL: 'warn' },
          },
          (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
      expect(sidecar.code).toBe(1);
      expect(sidecar.stderr).toMatch(/^hosting-rewards failed to start: Program settings are invalid: refund_window_days: is not valid JSON \(.+\)/);
      expect(sidecar.stderr).toContain('Correct or delete these rows in loyalty_settings');
    } finally {
      await storeText('refund_window_days', String(original.value));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('refuses to write an unknown key or a bad value, naming each, and writes none of the batch', async () => {
    const before = await settings().snapshot();
    const write = settings().update({ refund_window_days: 5, debt_policy: 'forgive' } as never);
    await expect(write).rejects.toThrow(ValidationError);
    await expect(settings().update({ refund_window_days: 5, debt_policy: 'forgive' } as never)).rejects.toMatchObject({
      fields: [{ path: 'debt_policy' }],
    });
    await expect(app.plugin.services.program.update({ refund_window_dayz: 5 } as never)).rejects.toMatchObject({
      fields: [{ path: 'refund_window_dayz', message: 'is not a known setting' }],
    });
    expect(await settings().snapshot()).toEqual(before);
  });

  it('a write through the service is read back at once; seeding never overwrites', async () => {
    await settings().snapshot(); // warm the cache
    await app.plugin.services.program.update({ chargeback_penalty_points: 25 });
    expect(await settings().get('chargeback_penalty_points')).toBe(25);
    expect((await app.plugin.services.program.current()).chargebackPenaltyPoints).toBe(25);
    await app.plugin.services.program.seed({ chargeback_penalty_points: 99, tier_grace_days: 45 });
    expect(await settings().snapshot()).toMatchObject({ chargeback_penalty_points: 25, tier_grace_days: 45 });
    expect(await settings().tierSettings()).toMatchObject({ graceDays: 45, baseCurrency: 'USD' });
  });

  it('keeps one cache for 5 seconds of monotonic time, whatever the business clock does', async () => {
    let ms = 0;
    const service = new SettingsService(app.plugin.db, app.clock.now, { monotonic: () => ms });
    const first = await service.snapshot();
    await app.plugin.db.repos.settings.set('chargeback_penalty_points', 7, app.clock.now());
    app.clock.advance(-3600_000);
    ms = 4_999;
    expect(await service.snapshot()).toBe(first);
    ms = 5_000;
    expect(await service.snapshot()).toMatchObject({ chargeback_penalty_points: 7 });
    app.clock.advance(3600_000);
  });

  it('an InvalidSettingsError is a ConfigError, so every caller that renders config errors renders it', () => {
    expect(new InvalidSettingsError([{ key: 'x', message: 'is not a known setting' }])).toBeInstanceOf(ConfigError);
  });
});
