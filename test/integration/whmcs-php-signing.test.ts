import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { jwtVerify } from 'jose';
import { Webhook } from 'standardwebhooks';
import { TEST_SECRETS } from '../support/harness';
import { PHP, WHMCS_ADDON } from '../support/whmcs-php';

/**
 * The addon's hand-written Standard Webhooks and HS256 code (no Composer in WHMCS) against the
 * reference implementations: what PHP signs, the Node libraries accept, and the other way round.
 */
const run = promisify(execFile);

async function php(code: string, input: unknown): Promise<unknown> {
  const script = `require ${JSON.stringify(`${WHMCS_ADDON}/lib/bootstrap.php`)}; use HostingRewards\\Signing; use HostingRewards\\Money; $in = json_decode(stream_get_contents(STDIN), true); echo json_encode((function () use ($in) { ${code} })());`;
  const child = run(PHP, ['-r', script]);
  child.child.stdin?.end(JSON.stringify(input));
  const { stdout } = await child;
  return JSON.parse(stdout) as unknown;
}

describe('the addon signs and verifies like the reference libraries', () => {
  const id = 'whmcs:invoice:1001:paid:20261207T101500Z';
  const body = JSON.stringify({ id, type: 'invoice.paid', note: 'Ünïcode ✓ "quotes" / slashes' });

  it('PHP webhook headers equal the standardwebhooks library signature', async () => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = (await php('return Signing::webhookHeaders($in["secret"], $in["id"], $in["ts"], $in["body"]);', { secret: TEST_SECRETS.webhook, id, ts, body })) as Record<string, string>;
    expect(headers['webhook-signature']).toBe(new Webhook(TEST_SECRETS.webhook).sign(id, new Date(ts * 1000), body));
    expect(() => new Webhook(TEST_SECRETS.webhook).verify(body, headers)).not.toThrow();
  });

  it('PHP verifies what the library signs, with several signatures, and refuses a changed body or a stale time', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sig = new Webhook(TEST_SECRETS.webhook).sign(id, new Date(now * 1000), body);
    const verify = (over: Record<string, unknown>) =>
      php('return Signing::verifyWebhook($in["secret"], $in["id"], (string) $in["ts"], $in["body"], $in["sig"], 300, $in["now"]);', { secret: TEST_SECRETS.webhook, id, ts: now, body, sig, now, ...over });
    expect(await verify({})).toBe(true);
    expect(await verify({ sig: `v1,AAAA ${sig}` })).toBe(true);
    expect(await verify({ body: `${body} ` })).toBe(false);
    expect(await verify({ now: now + 301 })).toBe(false);
    expect(await verify({ sig: sig.replace('v1,', 'v2,') })).toBe(false);
  });

  it('PHP HS256 tokens verify with jose, claims intact', async () => {
    const claims = { sub: '42', aud: 'hosting-rewards', iat: 1_800_000_000, exp: 1_800_000_120, jti: 'abc', name: 'Zoë "Ops" / 管理' };
    const token = (await php('return Signing::jwt($in["claims"], $in["secret"]);', { claims, secret: TEST_SECRETS.sso })) as string;
    expect(token).not.toMatch(/[=+/]/);
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(TEST_SECRETS.sso), { audience: 'hosting-rewards', currentDate: new Date(1_800_000_060_000) });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual(claims);
  });

  it('money in minor units by the currency: JPY has none, KWD three, half up, negative', async () => {
    const out = await php(
      'return [Money::toMinor("1500.00", Money::digits("JPY")), Money::toMinor("12.345", 2), Money::toMinor("-10.00", 2), Money::toMinor(19.99, 2), Money::format(-500, 2), Money::format(5, Money::digits("KWD")), Money::format(1500, 0)];',
      {},
    );
    expect(out).toEqual([1500, 1235, -1000, 1999, '-5.00', '0.005', '1500']);
  });
});

describe("the addon's strings", () => {
  it('every language file has the same keys as English, none empty', async () => {
    const langs = ['english', 'russian', 'turkish', 'vietnamese', 'chinese'];
    const out = (await php(
      'define("WHMCS", true); $r = []; foreach ($in as $l) { $_ADDONLANG = []; include ' + JSON.stringify(`${WHMCS_ADDON}/lang/`) + ' . $l . ".php"; $r[$l] = $_ADDONLANG; } return $r;',
      langs,
    )) as Record<string, Record<string, string>>;
    const keys = Object.keys(out.english ?? {}).sort();
    expect(keys.length).toBeGreaterThan(5);
    for (const l of langs) {
      expect(Object.keys(out[l] ?? {}).sort()).toEqual(keys);
      for (const v of Object.values(out[l] ?? {})) expect(v.trim()).not.toBe('');
    }
  });
});
