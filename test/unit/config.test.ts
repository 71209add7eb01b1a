import fs from 'node:fs';
import path from 'node:path';
import { describeVariables, loadConfig } from '../../plugin/config';

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

describe('SSO_CLOCK_SKEW_SECONDS', () => {
  it('defaults to 60 s and takes a whole number of seconds up to 300', () => {
    expect(loadConfig({}).ssoClockSkewSeconds).toBe(60);
    expect(loadConfig({ SSO_CLOCK_SKEW_SECONDS: '5' }).ssoClockSkewSeconds).toBe(5);
    for (const bad of ['-1', '1.5', '301', 'soon']) expect(() => loadConfig({ SSO_CLOCK_SKEW_SECONDS: bad })).toThrow(/SSO_CLOCK_SKEW_SECONDS/);
  });
});

describe('SMTP_URL', () => {
  it('is optional, and when set must be an smtp:// or smtps:// URL', () => {
    expect(loadConfig({}).smtpUrl).toBeUndefined();
    expect(loadConfig({ SMTP_URL: 'smtps://user:pw@mail.example.com:465' }).smtpUrl).toBe('smtps://user:pw@mail.example.com:465');
    for (const bad of ['mail.example.com', 'https://mail.example.com', 'smtp://']) expect(() => loadConfig({ SMTP_URL: bad })).toThrow(/SMTP_URL/);
  });
});

describe('the README configuration table', () => {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  const rows = new Map(
    section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => [/^\| `([A-Z0-9_]+)`/.exec(line)?.[1] ?? line, line] as const),
  );

  it('lists every variable, and only those', () => {
    expect([...rows.keys()].sort()).toEqual(describeVariables().map((v) => v.name).sort());
  });

  it.each(describeVariables().map((v) => [v.name, v] as const))('documents %s with its default and meaning', (_name, v) => {
    expect(rows.get(v.name)).toBe(`| \`${v.name}\` | ${v.default} | ${v.description} |`);
  });
});
