import type { ClientInfo } from '../../plugin/domain/billing-event';
import { profileChange, type Member, type ProfileEvent } from '../../plugin/domain/member';

/**
 * `profileChange`: what `client.created` and `client.updated` change about a member, by the
 * events' own instants, so the same events leave the same profile in any delivery order.
 */
const T0 = new Date('2026-11-22T10:00:00Z');
const T1 = new Date('2026-11-22T11:00:00Z');

const member = (over: Partial<Member> = {}): Member => ({
  id: 1,
  panelClientId: 'c',
  email: null,
  name: null,
  locale: null,
  currency: null,
  birthday: null,
  pointsAvailable: 0,
  pointsPending: 0,
  pointsLifetime: 0,
  status: 'active',
  referralCode: 'ABCDEFGHJK',
  joinedAt: T0,
  tierId: null,
  tierBelowSince: null,
  servicesActive: 0,
  servicesSuspended: 0,
  firstServiceAt: null,
  suspendedSince: null,
  profileAt: null,
  tierRecheckAt: null,
  ...over,
});

const full: ClientInfo = { id: 'c', email: 'minh@example.com', name: 'Nguyễn Văn Minh', locale: 'vi', currency: 'VND', birthday: '1990-02-28' };

/** Applies the events in order to a member enrolled from `start`, as ClientService does. */
function replay(start: Member, events: Array<[ProfileEvent, ClientInfo, Date]>): Member {
  let m = start;
  for (const [type, client, at] of events) {
    const change = profileChange(m, client, at, type);
    if (change) m = { ...m, ...change.changed, profileAt: change.profileAt };
  }
  return m;
}

describe('profileChange', () => {
  it('client.created fills the profile of a member an id-only event enrolled, currency included', () => {
    expect(profileChange(member(), full, T0, 'client.created')).toEqual({
      changed: { email: 'minh@example.com', name: 'Nguyễn Văn Minh', locale: 'vi', currency: 'VND', birthday: '1990-02-28' },
      profileAt: T0,
    });
  });

  it('client.created older than an applied update fills only what the member lacks, and keeps the update’s instant', () => {
    const updated = member({ locale: 'ru', status: 'closed', profileAt: T1 });
    expect(profileChange(updated, { ...full, status: 'active' }, T0, 'client.created')).toEqual({
      changed: { email: 'minh@example.com', name: 'Nguyễn Văn Minh', currency: 'VND', birthday: '1990-02-28' },
      profileAt: T1,
    });
  });

  it('a tie goes to the update: client.created at the same instant only fills', () => {
    const updated = member({ locale: 'ru', email: 'new@example.com', profileAt: T0 });
    expect(profileChange(updated, full, T0, 'client.created')?.changed).toEqual({ name: 'Nguyễn Văn Minh', currency: 'VND', birthday: '1990-02-28' });
    // An update at the same instant as the creation applies, as before.
    expect(profileChange(member({ locale: 'vi', profileAt: T0 }), { id: 'c', locale: 'ru' }, T0, 'client.updated')?.changed).toEqual({ locale: 'ru' });
  });

  it('client.created newer than the profile sets what it carries, as an update would', () => {
    const enrolled = member({ email: 'old@example.com', locale: 'en', currency: 'USD' });
    expect(profileChange(enrolled, full, T1, 'client.created')?.changed).toMatchObject({ email: 'minh@example.com', locale: 'vi', currency: 'VND' });
  });

  it('client.updated older than the profile is out of order, even to fill a field', () => {
    expect(profileChange(member({ profileAt: T1 }), full, T0, 'client.updated')).toBeNull();
  });

  it('orders by the instants given, however far ahead of any clock', () => {
    const ahead = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 0, minutes));
    expect(profileChange(member({ profileAt: ahead(20) }), full, ahead(10), 'client.updated')).toBeNull();
    expect(profileChange(member({ profileAt: ahead(10) }), full, ahead(20), 'client.updated')?.profileAt).toEqual(ahead(20));
  });

  it.each([
    ['created, then updated', [0, 1]],
    ['updated, then created', [1, 0]],
  ])('the same profile in either delivery order (%s)', (_, order) => {
    const events: Array<[ProfileEvent, ClientInfo, Date]> = [
      ['client.created', { ...full, locale: 'en' }, T0],
      ['client.updated', { id: 'c', locale: 'ru', status: 'closed' }, T1],
    ];
    const end = replay(member(), order.map((i) => events[i] as [ProfileEvent, ClientInfo, Date]));
    expect(end).toMatchObject({ email: 'minh@example.com', name: 'Nguyễn Văn Minh', locale: 'ru', currency: 'VND', status: 'closed', profileAt: T1 });
  });
});
