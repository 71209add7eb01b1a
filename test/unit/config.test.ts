import { loadConfig } from '../../plugin/config';

describe('loadConfig', () => {
  it('defaults to the demo panel on embedded SQLite', () => {
    expect(loadConfig({})).toMatchObject({ panel: 'demo', port: 3000, eventSource: 'demo', databaseUrl: expect.stringMatching(/^sqlite:.*hosting-rewards\.sqlite$/) });
  });

  it('refuses a panel actions URL without PANEL=generic, so a real panel’s actions never go to the demo', () => {
    expect(() => loadConfig({ PANEL_ACTIONS_URL: 'https://billing.example.com/hooks/rewards' })).toThrow(/PANEL is not generic/);
    expect(loadConfig({ PANEL: 'generic', PANEL_ACTIONS_URL: 'https://billing.example.com/hooks/rewards' })).toMatchObject({ panel: 'generic' });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ WEBHOOK_SECRET: 'plain' }, 'WEBHOOK_SECRET'],
    [{ SSO_SECRET: 'short' }, 'SSO_SECRET'],
    [{ PANEL: 'whmcs-ish' }, 'PANEL'],
  ])('names the bad variable in %j', (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(name));
  });
});
