import { readFileSync } from 'node:fs';
import { MANIFEST_PATH } from '../../scripts/docs';
import { hooks } from '../../hooks';
import { EVENT_TYPES } from '../../plugin/domain/billing-event';

/** manifest.json tells a host which events mean something: it must match the hook registry. */
describe('manifest events', () => {
  const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as { events: { handled: string[]; accepted: string[] } };

  it('lists as handled exactly the event types with a hook, in contract order', () => {
    expect(manifest.events.handled).toEqual(EVENT_TYPES.filter((t) => hooks[t] !== undefined));
  });

  it('accepts every canonical type, and today handles every one of them', () => {
    expect(manifest.events.accepted).toEqual([...EVENT_TYPES]);
    expect(EVENT_TYPES.filter((t) => hooks[t] === undefined)).toEqual([]);
  });
});
