import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { createLogger, type Logger } from '../../plugin/logger';
import type { MemberExportRow } from '../../plugin/repositories/report-repository';
import { adminAgent, auditRows, csrfOf, fieldOf, unescapeHtml, type AdminAgent } from '../support/admin';
import { expectBalancesConsistent, invoicePaid, startTestApp, type TestApp } from '../support/harness';
import { addReward } from '../support/rewards';

const FORMULA = "=cmd|' /C calc'!A0";

/** Reads a download as a browser would: status, headers, and the body as the chunks that arrived. */
function download(app: TestApp, path: string, cookie: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; chunks: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${app.baseUrl}${path}`, { headers: { cookie } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), chunks: parts.length }));
      })
      .on('error', reject);
  });
}

/** Captures what the plugin logs, as JSON lines. */
function logSink(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('info', stream), lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('admin: CSV export and opening-balance import', () => {
  let app: TestApp;
  const sink = logSink();
  let owner: AdminAgent;
  let billing: AdminAgent;
  let viewer: AdminAgent;
  let billingCookie = '';

  const count = async (table: string) => Number((await app.plugin.db.knex(table).count({ n: '*' }).first())?.n ?? 0);

  beforeAll(async () => {
    app = await startTestApp({ logger: sink.logger });
    owner = await adminAgent(app, 'owner', { id: '1', name: 'Olga' });
    billing = await adminAgent(app, 'billing', { id: '2', name: 'Bill' });
    viewer = await adminAgent(app, 'viewer');
    // The agent's cookie jar, for a raw http request that reads the stream chunk by chunk.
    const jar = (billing as unknown as { jar: { getCookies(o: unknown): Array<{ name: string; value: string }> } }).jar;
    billingCookie = jar
      .getCookies({ domain: '127.0.0.1', path: '/admin', secure: false, script: false })
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    await app.send(invoicePaid({ client: { id: 'evil', name: FORMULA, email: '+1@example.com' }, invoice: { id: 'inv-evil', total: '50.00', items: [{ type: 'renewal', amount: '50.00' }] } })).expect(200);
    await app.send(invoicePaid({ client: { id: 'multi', name: 'Line\nbreak, "quoted" Ünïcødé 名字' }, invoice: { id: 'inv-multi', total: '20.00', items: [{ type: 'renewal', amount: '20.00' }] } })).expect(200);
  });
  afterEach(() => expectBalancesConsistent(app.plugin));
  afterAll(() => app.close());

  describe('export', () => {
    it('members: UTF-8 with a BOM, RFC 4180 quoting, and a formula in a name neutralised', async () => {
      const res = await billing.get('/admin/export/members.csv').buffer(true).parse((r, cb) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => cb(null, Buffer.concat(parts)));
      }).expect(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="members-\d{4}-\d{2}-\d{2}\.csv"$/);
      const body = res.body as Buffer;
      expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = body.toString('utf8');
      expect(text).toContain("\r\nevil,'+1@example.com,'=cmd|' /C calc'!A0,USD,");
      expect(text).toContain('"Line\nbreak, ""quoted"" Ünïcødé 名字"');
      const rows = parse(text, { bom: true, columns: true }) as Array<Record<string, string>>;
      expect(rows.find((r) => r.panel_client_id === 'evil')).toMatchObject({ name: `'${FORMULA}`, email: "'+1@example.com", points_available: '50' });
      expect(rows.find((r) => r.panel_client_id === 'multi')?.name).toBe('Line\nbreak, "quoted" Ünïcødé 名字');
    });

    it('ledger by date range: validated, whole days, each download audited', async () => {
      const bad = await billing.get('/admin/export/ledger.csv?from=2026-11-30&to=2026-11-01').expect(422);
      expect(bad.text).toMatch(/data-testid="error-to">To \(inclusive\): must not be before the start date/);
      // In the admin's language: the field named, the reason said in Russian.
      const ru = await billing.get('/admin/export/ledger.csv?from=2026-11-30&to=2026-11-01').set('Accept-Language', 'ru').expect(422);
      expect(ru.text).toMatch(/data-testid="error-to">По \(включительно\): не может быть раньше начальной даты/);
      const ruFrom = await billing.get('/admin/export/ledger.csv?from=2026-13-01&to=2026-11-01').set('Accept-Language', 'ru').expect(422);
      expect(ruFrom.text).toMatch(/data-testid="error-from">С: нужна дата \(YYYY-MM-DD\)/);
      await billing.get('/admin/export/ledger.csv?from=yesterday').expect(422);
      const none = await billing.get('/admin/export/ledger.csv?from=2026-01-01&to=2026-01-31').expect(200);
      expect(String(none.text).trim().split('\r\n')).toHaveLength(1);
      const res = await billing.get('/admin/export/ledger.csv?from=2026-11-01&to=2026-11-30').expect(200);
      const rows = parse(String(res.text), { bom: true, columns: true }) as Array<Record<string, string>>;
      expect(rows.map((r) => `${r.panel_client_id} ${r.kind} ${r.delta}`).sort()).toEqual(['evil earn 50', 'multi earn 20']);
      const audit = (await auditRows(app)).filter((r) => String(r.action).startsWith('export.'));
      expect(audit.map((r) => r.action)).toEqual(expect.arrayContaining(['export.members', 'export.ledger']));
    });

    it('redemptions export, and a viewer may not export (403)', async () => {
      await billing.get('/admin/export/redemptions.csv').expect(200);
      await viewer.get('/admin/export').expect(403);
      await viewer.get('/admin/export/members.csv').expect(403);
    });

    it('redemptions: the kind and the name of what was redeemed, in the program’s default language, spreadsheet-safe', async () => {
      const rewards = app.plugin.db.repos.rewards;
      const perk = await addReward(app, { kind: 'perk', names: { en: 'Free SSL certificate', ru: '-10% на SSL' }, costPoints: 10, values: { USD: 900 } });
      const redeem = async () => {
        const done = await app.plugin.services.redemptions.redeem('evil', { rewardId: perk, idempotencyKey: randomBytes(12).toString('hex') });
        if (!done.ok) throw new Error(`not redeemed: ${done.refusal}`);
        return done.redemption.id;
      };
      const kept = await redeem();
      const old = await redeem();
      // Afterwards the owner renames the reward, and posts its editor with another kind: the name
      // changes, the kind does not (the editor keeps it), so the joined kind is still the one redeemed.
      await rewards.update(perk, { names: { en: 'Free domain renewal', ru: 'Бесплатное продление домена' } }, app.clock.now());
      const page = (await owner.get(`/admin/settings/rewards/${perk}`).expect(200)).text;
      const fields: Record<string, string> = {};
      for (const m of page.matchAll(/<input id="[^"]*" name="([^"]+)" type="[^"]*" value="([^"]*)"/g)) fields[m[1] ?? ''] = unescapeHtml(m[2] ?? '');
      await owner.post(`/admin/settings/rewards/${perk}`).type('form').send({ _csrf: csrfOf(page), shown: fieldOf(page, 'shown'), ...fields, kind: 'credit' }).expect(200);
      expect(await rewards.find(perk)).toMatchObject({ kind: 'perk' });
      // A redemption from before names were kept.
      await app.plugin.db.knex('loyalty_redemptions').where({ id: old }).update({ reward_names: null });

      await app.plugin.services.program.update({ default_language: 'ru' });
      try {
        const res = await billing.get('/admin/export/redemptions.csv').expect(200);
        const text = String(res.text);
        expect(text.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe('id,created_at,updated_at,panel_client_id,reward_id,reward_kind,points,currency,value,state,panel_reference,reward_name');
        const rows = parse(text, { bom: true, columns: true }) as Array<Record<string, string>>;
        const row = (id: number) => rows.find((r) => r.id === String(id));
        expect(row(kept)).toMatchObject({ reward_id: String(perk), reward_kind: 'perk', points: '10', value: '9.00', reward_name: "'-10% на SSL" });
        expect(row(old)).toMatchObject({ reward_kind: 'perk', reward_name: 'Бесплатное продление домена' });
      } finally {
        await app.plugin.services.program.update({ default_language: 'en' });
      }
      // In English, the name kept in English.
      const en = parse(String((await billing.get('/admin/export/redemptions.csv').expect(200)).text), { bom: true, columns: true }) as Array<Record<string, string>>;
      expect(en.find((r) => r.id === String(kept))?.reward_name).toBe('Free SSL certificate');
    });

    it('streams a large export in chunks (no Content-Length), a batch at a time, with memory flat', async () => {
      const now = new Date();
      const rows = Array.from({ length: 4000 }, (_, i) => ({ panel_client_id: `bulk-${i}`, name: `Member ${i} ${'x'.repeat(60)}`, email: `m${i}@example.com`, referral_code: `B${String(i).padStart(9, '0')}`, joined_at: now, updated_at: now }));
      for (let i = 0; i < rows.length; i += 250) await app.plugin.db.knex('loyalty_members').insert(rows.slice(i, i + 250));
      const batches = jest.spyOn(app.plugin.db.repos.reports, 'membersAfter');
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const res = await download(app, '/admin/export/members.csv', billingCookie);
      expect(res.status).toBe(200);
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(res.headers['content-length']).toBeUndefined();
      expect(res.chunks).toBeGreaterThan(1);
      expect(res.body.toString('utf8').trim().split('\r\n')).toHaveLength(4003);
      // 4 002 members read 500 at a time: never all at once.
      expect(batches.mock.calls.length).toBeGreaterThanOrEqual(9);
      expect(batches.mock.calls.every(([, limit]) => limit === 500)).toBe(true);
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
      batches.mockRestore();
    });
  });

  describe('an export that does not finish', () => {
    /** Members without end, a batch at a time, as a table far bigger than the socket's buffers. */
    const endless = (after: number, limit: number): MemberExportRow[] =>
      Array.from({ length: limit }, (_, i) => ({ id: after + i + 1, panelClientId: `endless-${after + i + 1}`, email: null, name: 'x'.repeat(200), currency: 'USD', tierName: null, pointsAvailable: 0, pointsPending: 0, pointsLifetime: 0, status: 'active', joinedAt: new Date() }));
    /** The log lines of one request, once it has `msg` (the export's catch runs after the request's line). */
    const linesOf = async (requestId: string, msg: string) => {
      for (let i = 0; i < 100 && !sink.lines().some((l) => l.req_id === requestId && l.msg === msg); i++) await new Promise((r) => setTimeout(r, 20));
      return sink.lines().filter((l) => l.req_id === requestId);
    };

    it('a client that aborts the download is logged at info, not as an error with a stack', async () => {
      const batches = jest.spyOn(app.plugin.db.repos.reports, 'membersAfter').mockImplementation(async (after, limit) => endless(after, limit));
      try {
        await new Promise<void>((resolve, reject) => {
          const req = http.get(`${app.baseUrl}/admin/export/members.csv`, { headers: { cookie: billingCookie, 'x-request-id': 'export-abort-1' } }, (res) => {
            expect(res.statusCode).toBe(200);
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          });
          req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
        });
        const lines = await linesOf('export-abort-1', 'client aborted the CSV export');
        expect(lines.filter((l) => Number(l.level) >= 40)).toEqual([]);
        expect(lines.find((l) => l.msg === 'client aborted the CSV export')).toMatchObject({ level: 30, export: 'members' });
        expect(lines.find((l) => l.msg === 'request')).toMatchObject({ aborted: true, status: null });
      } finally {
        batches.mockRestore();
      }
    });

    it('a failure of our own mid-stream is still logged as an error, and the download is broken, not cut short as if complete', async () => {
      const batches = jest
        .spyOn(app.plugin.db.repos.reports, 'membersAfter')
        .mockImplementationOnce(async (after, limit) => endless(after, limit))
        .mockRejectedValueOnce(new Error('connection lost mid-export'));
      try {
        const ended = await new Promise<'complete' | 'broken'>((resolve) => {
          http.get(`${app.baseUrl}/admin/export/members.csv`, { headers: { cookie: billingCookie, 'x-request-id': 'export-fail-1' } }, (res) => {
            res.resume();
            res.on('end', () => resolve('complete'));
            res.on('error', () => resolve('broken'));
            res.on('aborted', () => resolve('broken'));
          }).on('error', () => resolve('broken'));
        });
        expect(ended).toBe('broken');
        const lines = await linesOf('export-fail-1', 'CSV export failed mid-stream');
        expect(lines.find((l) => l.msg === 'CSV export failed mid-stream')).toMatchObject({ level: 50, export: 'members', err: { message: 'connection lost mid-export', stack: expect.any(String) } });
        expect(lines.some((l) => l.msg === 'client aborted the CSV export')).toBe(false);
      } finally {
        batches.mockRestore();
      }
    });
  });

  describe('ledger export across batches', () => {
    it('walks 1,200 entries of one instant 500 at a time by (created_at, id): each once, none lost at a batch edge', async () => {
      const member = (await app.plugin.db.repos.members.findByPanelClientId('multi'))!;
      // Zero-point adjustments: many rows sharing one created_at, balances untouched.
      const at = new Date('2026-10-15T08:00:00.000Z');
      const rows = Array.from({ length: 1200 }, (_, i) => ({ member_id: member.id, delta: 0, kind: 'adjust', reason_code: `tie-${i}`, actor: 'system', balance_after: 0, created_at: at }));
      for (let i = 0; i < rows.length; i += 200) await app.plugin.db.knex('loyalty_ledger').insert(rows.slice(i, i + 200));
      const batches = jest.spyOn(app.plugin.db.repos.reports, 'ledgerAfter');
      const res = await billing.get('/admin/export/ledger.csv?from=2026-10-15&to=2026-10-15').expect(200);
      const out = parse(String(res.text), { bom: true, columns: true }) as Array<Record<string, string>>;
      expect(out).toHaveLength(1200);
      expect(new Set(out.map((r) => r.reason)).size).toBe(1200);
      expect(new Set(out.map((r) => r.id)).size).toBe(1200);
      expect(batches.mock.calls.length).toBe(3);
      batches.mockRestore();
    });
  });

  describe('import of opening balances', () => {
    const upload = (agent: AdminAgent, csrf: string, csv: string | Buffer, name = 'balances.csv') => agent.post('/admin/import/preview').field('_csrf', csrf).attach('file', Buffer.isBuffer(csv) ? csv : Buffer.from(csv), { filename: name, contentType: 'text/csv' });
    const importPage = async (agent: AdminAgent) => csrfOf((await agent.get('/admin/import').expect(200)).text);
    const confirm = (agent: AdminAgent, preview: string) => {
      // As a browser reads the attribute: handlebars writes '=' as &#x3D;.
      const field = (name: string) => (new RegExp(`data-testid="import-form">[\\s\\S]*?name="${name}" value="([^"]*)"`).exec(preview)?.[1] ?? '').replace(/&#x3D;/g, '=');
      return agent.post('/admin/import').field('_csrf', field('_csrf')).field('hash', field('hash')).field('content', field('content'));
    };

    it('previews per-row problems, imports nothing until the file is clean', async () => {
      const csrf = await importPage(owner);
      const before = { ledger: await count('loyalty_ledger'), members: await count('loyalty_members') };
      const csv = ['panel_client_id,points,email,name,expires_at', 'old-1,100,,,', 'old-2,ten,,,', 'old-3,-5,,,', 'old-1,7,,,', 'old-4,10,,,2020-01-01', 'old-5,10,,,2027-02-31'].join('\n');
      const res = await upload(owner, csrf, csv).expect(422);
      for (const line of [3, 4, 5, 6, 7]) expect(res.text).toContain(`data-line="${line}"`);
      expect(res.text).toContain('must be a whole number');
      expect(res.text).toContain('must not be negative');
      expect(res.text).toContain('repeats line 2');
      expect(res.text).toContain('is in the past');
      expect(res.text).not.toContain('data-testid="import-form"');
      const header = await upload(owner, csrf, 'client,points\n1,5\n').expect(422);
      expect(header.text).toContain('panel_client_id: this column is required');
      const ru = await owner
        .post('/admin/import/preview')
        .set('Accept-Language', 'ru')
        .field('_csrf', csrf)
        .attach('file', Buffer.from(csv), { filename: 'balances.csv', contentType: 'text/csv' })
        .expect(422);
      expect(ru.text).toContain('points: нужно целое число');
      expect(ru.text).toContain('panel_client_id: повторяет строку 2');
      expect(ru.text).toContain('expires_at: дата уже прошла');
      expect(ru.text).not.toMatch(/must be|is in the past|repeats line/);
      const broken = await upload(owner, csrf, 'panel_client_id,points\n"unclosed,5\n').expect(422);
      expect(broken.text).toContain('CSV file: is not a valid CSV file');
      expect({ ledger: await count('loyalty_ledger'), members: await count('loyalty_members') }).toEqual(before);
    });

    it('imports a clean file once: new and existing members credited, audited; the same file again adds nothing', async () => {
      const csrf = await importPage(owner);
      const evil = await app.plugin.db.repos.members.findByPanelClientId('evil');
      const csv = '\uFEFFpanel_client_id,points,email,name,expires_at\r\nmig-1,1200,mig1@example.com,Mig One,2027-12-31\r\nmig-2,300,,"Two, Mig",\r\nevil,25,,,\r\n';
      const preview = await upload(owner, csrf, csv).expect(200);
      expect(preview.text).toContain('3 rows will credit 1,525 points in all.');
      const done = await confirm(owner, preview.text).expect(200);
      expect(done.text).toContain('Credited 3 members with 1,525 points in all.');
      expect(done.text).not.toContain('already imported and');
      const mig1 = await app.plugin.db.repos.members.findByPanelClientId('mig-1');
      expect(mig1).toMatchObject({ pointsAvailable: 1200, email: 'mig1@example.com', name: 'Mig One' });
      expect((await app.plugin.db.repos.members.findByPanelClientId('mig-2'))?.name).toBe('Two, Mig');
      expect((await app.plugin.db.repos.members.findByPanelClientId('evil'))?.pointsAvailable).toBe((evil?.pointsAvailable ?? 0) + 25);
      const entry = await app.plugin.db.knex('loyalty_ledger').where({ member_id: mig1?.id ?? 0 }).first();
      expect(entry).toMatchObject({ kind: 'adjust', reference: 'import:opening:mig-1', actor: 'admin:1', reason_code: 'opening_balance' });
      const lot = await app.plugin.db.repos.lots.withRemaining(mig1?.id ?? 0);
      expect(lot[0]?.expiresAt?.toISOString()).toBe('2027-12-31T00:00:00.000Z');
      expect((await auditRows(app)).filter((r) => r.action === 'members.import_balances')).toHaveLength(1);

      // The same file: the preview says so, and importing it anyway (a second click) adds nothing.
      const ledger = await count('loyalty_ledger');
      const again = await upload(owner, csrf, csv).expect(200);
      expect(again.text).toContain('Every row has been imported already');
      const replay = await confirm(owner, preview.text).expect(200);
      expect(replay.text).toContain('Credited 0 members with 0 points in all.');
      expect(replay.text).toContain('3 rows were already imported and were skipped.');
      expect(await count('loyalty_ledger')).toBe(ledger);
      // Two imports of the same rows at once still credit once.
      const edited = `${csv}late-1,5,,,\r\n`;
      const editedPreview = (await upload(owner, csrf, edited).expect(200)).text;
      await Promise.all([confirm(owner, editedPreview), confirm(owner, editedPreview)]);
      expect(await count('loyalty_ledger')).toBe(ledger + 1);
    });

    it('refuses a file over the size limit with 413 and says the limit; a tampered confirm is refused', async () => {
      const csrf = await importPage(owner);
      const big = Buffer.alloc(1024 * 1024 + 10, 'a');
      const res = await upload(owner, csrf, big).expect(413);
      expect(res.text).toContain('The file is too large: at most 1,024 KB.');
      const preview = (await upload(owner, csrf, 'panel_client_id,points\nx-1,5\n').expect(200)).text;
      const field = (name: string) => new RegExp(`data-testid="import-form">[\\s\\S]*?name="${name}" value="([^"]*)"`).exec(preview)?.[1] ?? '';
      const tampered = await owner.post('/admin/import').field('_csrf', field('_csrf')).field('hash', field('hash')).field('content', Buffer.from('panel_client_id,points\nx-1,5000000\n').toString('base64')).expect(422);
      expect(tampered.text).toContain('is not the file that was previewed');
      expect(await app.plugin.db.repos.members.findByPanelClientId('x-1')).toBeNull();
    });

    it('is for owners only (403 for billing and viewer)', async () => {
      await billing.get('/admin/import').expect(403);
      await viewer.get('/admin/import').expect(403);
      const csrf = await importPage(owner);
      await billing.post('/admin/import/preview').field('_csrf', csrf).attach('file', Buffer.from('panel_client_id,points\nz,1\n'), 'a.csv').expect(403);
    });
  });
});
