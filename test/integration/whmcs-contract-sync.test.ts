import { execFileSync } from 'node:child_process';
import path from 'node:path';
import currencyCodes from 'currency-codes';
import { z } from 'zod';
import { currencyDigits } from '../../plugin/domain/money';

const LIB = path.resolve(__dirname, '../../integrations/whmcs/modules/addons/hosting_rewards/lib');

/** A private constant of the addon's PHP classes, as PHP reads it. */
function phpConstant(file: string, cls: string, name: string): string {
  const script = `require '${path.join(LIB, file)}'; $c = new ReflectionClassConstant('HostingRewards\\\\${cls}', '${name}'); echo $c->getValue();`;
  return execFileSync('php', ['-r', script], { encoding: 'utf8' });
}

/**
 * The addon leaves out of an event what the sidecar's contract would refuse (an email, a
 * currency code), so one client's odd data never loses their events. It keeps its own copies
 * of the contract's rules: these keep them equal to the sidecar's.
 */
describe('the WHMCS addon and the event contract agree', () => {
  it('on which currency codes are ISO 4217 codes a client is billed in', () => {
    const sidecar = [...new Set([...currencyCodes.codes(), 'XCG'])].filter((c) => currencyDigits(c) !== undefined).sort();
    expect(phpConstant('Money.php', 'Money', 'KNOWN').split(' ')).toEqual(sidecar);
  });

  it('on which emails are email addresses', () => {
    expect(phpConstant('Events.php', 'Events', 'CONTRACT_EMAIL')).toBe(String(z.regexes.email));
  });
});
