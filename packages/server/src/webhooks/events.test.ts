import { describe, expect, it } from 'vitest';
import { type AuditedChange, eventForAudit } from './events.ts';

const actor = { kind: 'admin', id: 'adm_1', name: 'alice' };
const change = (action: string, extra: Partial<AuditedChange> = {}): AuditedChange => ({ actor, action, subjectId: 'usr_1', ...extra });

describe('which audited change raises which identity event', () => {
  it.each([
    ['user.created', 'user.created'],
    ['user.profile_updated', 'user.updated'],
    ['identity.linked', 'identity.linked'],
    ['identity.unlinked', 'identity.unlinked'],
    ['identity.moved', 'identity.linked'],
    ['identity.moved_out', 'identity.unlinked'],
    ['identity.moved_back', 'identity.linked'],
    ['user.merged', 'user.merged'],
    ['user.unmerged', 'user.unmerged'],
    ['user.blocked', 'user.blocked'],
    ['user.unblocked', 'user.unblocked'],
    ['user.deleted', 'user.deleted'],
    ['merge_suggestion.created', 'merge_suggestion.created'],
  ])('%s → %s, about the subject', (action, type) => {
    expect(eventForAudit(change(action))).toMatchObject({ type, subjectId: 'usr_1' });
  });

  it.each([
    'user.merged_into',
    'user.unmerged_from',
    'identity.unionid_recorded',
    'identifier.added',
    'identifier.conflict',
    'merge_suggestion.dismissed',
    'connection.created',
    'admin_key.created',
    'webhook_endpoint.created',
    'binding.locked',
  ])('%s raises none', (action) => {
    expect(eventForAudit(change(action))).toBeNull();
  });

  it('a change about no one raises none', () => {
    expect(eventForAudit(change('user.blocked', { subjectId: null }))).toBeNull();
  });

  it('a deleted person’s event names the identities they had, from the audit’s before, and nothing else of it', async () => {
    const event = eventForAudit(
      change('user.deleted', {
        before: {
          id: 'usr_1',
          phoneNumber: '+8613900001111',
          identities: [
            {
              id: 'wid_1',
              appid: 'wx_a',
              appType: 'mini_program',
              openid: 'o_1',
              unionid: 'u_1',
              openPlatformId: 'op',
              lastProfile: { x: 1 },
            },
          ],
        },
      }),
    );
    // No database needed: everything comes from the entry.
    const data = await event?.data(undefined as never);
    expect(data).toEqual({
      user: { id: 'usr_1', status: 'deleted' },
      identities: [{ id: 'wid_1', appid: 'wx_a', appType: 'mini_program', openid: 'o_1', unionid: 'u_1', openPlatformId: 'op' }],
      actor,
    });
  });
});
