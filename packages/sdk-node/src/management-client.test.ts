/**
 * The management client against a running weunion with an admin key: round trips through users,
 * identities, merges, merge suggestions, the audit log, connections and applications, and the
 * typed errors of a 404, a 400 and a bad key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../../server/src/admin-keys/store.ts';
import { SYSTEM_ACTOR } from '../../server/src/identity/audit.ts';
import { Browser, LoginWorld, loginWithS2, sessionOf, storageModes } from '../../server/src/login/test-harness.ts';
import { WeunionApiError } from './errors.ts';
import { createManagementClient, type ManagementClient } from './management-client.ts';

const embedded = storageModes.find((m) => m.name === 'embedded');

async function apiError(promise: Promise<unknown>): Promise<WeunionApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof WeunionApiError)) throw new Error(`expected a WeunionApiError, got ${String(error)}`);
  return error;
}

describe.skipIf(embedded === undefined || embedded.skip)('createManagementClient against a running weunion', () => {
  let world: LoginWorld;
  let admin: ManagementClient;
  beforeAll(async () => {
    if (embedded === undefined) throw new Error('no embedded storage');
    world = await LoginWorld.start(embedded);
    const { key } = await createAdminKey(world.database.db, 'sdk-node test', SYSTEM_ACTOR);
    admin = createManagementClient({ baseUrl: world.first.url, apiKey: key });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('users: create, get, update, search, block/unblock, audit log, delete', async () => {
    const created = await admin.users.create({
      nickname: 'Rosa',
      phoneNumber: '+8613900001111',
      phoneNumberVerified: true,
      password: 'correct horse',
    });
    expect(created).toMatchObject({ status: 'active', nickname: 'Rosa', phoneNumber: '+8613900001111', hasPassword: true, identities: [] });
    expect(await admin.users.get(created.id)).toMatchObject({ id: created.id, identifiers: [expect.objectContaining({ kind: 'phone' })] });

    const updated = await admin.users.update(created.id, { name: 'Rosa Li', nickname: null });
    expect(updated).toMatchObject({ name: 'Rosa Li', nickname: null });

    const found = await admin.users.list({ phone: '+8613900001111' });
    expect(found.items.map((u) => u.id)).toEqual([created.id]);
    expect(found.nextCursor).toBeNull();

    expect((await admin.users.block(created.id)).status).toBe('blocked');
    expect((await admin.users.list({ status: 'blocked' })).items.map((u) => u.id)).toContain(created.id);
    expect((await admin.users.unblock(created.id)).status).toBe('active');

    expect((await admin.users.list({ hasPhone: true, createdFrom: created.createdAt })).items.map((u) => u.id)).toEqual([created.id]);
    expect((await admin.users.setPassword(created.id, 'another good one')).hasPassword).toBe(true);
    expect((await admin.users.removePassword(created.id)).hasPassword).toBe(false);
    expect(await admin.users.loginEvents(created.id)).toEqual({ items: [], nextCursor: null });
    expect((await admin.loginEvents.list({ outcome: 'failed', limit: 1 })).items.length).toBeLessThanOrEqual(1);

    const log = await admin.auditLog.list({ subjectId: created.id });
    expect(log.items.map((e) => e.action)).toEqual(expect.arrayContaining(['user.password_reset', 'user.password_removed']));
    expect(log.items.map((e) => e.action)).toEqual(expect.arrayContaining([expect.stringContaining('block')]));

    await admin.users.delete(created.id);
    expect((await admin.users.get(created.id)).status).toBe('deleted');
  });

  it('paging: a limit gives a cursor that reaches the next page', async () => {
    for (let i = 0; i < 3; i++) await admin.users.create({ nickname: `Page ${i}` });
    const first = await admin.users.list({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await admin.users.list({ limit: 2, cursor: first.nextCursor ?? '' });
    expect(second.items.map((u) => u.id)).not.toContain(first.items[0]?.id);
  });

  it('identities and merges: a WeChat login’s identity is listed and unlinked; a merge is undone', async () => {
    const browser = new Browser();
    await loginWithS2(world, world.first, browser, await world.person('Sara'));
    const userId = String((await sessionOf(browser, world.first))?.sub);
    const identities = await admin.users.identities(userId);
    expect(identities).toHaveLength(1);
    expect(identities[0]).toMatchObject({ userId, appType: 'website' });

    const other = await admin.users.create({ nickname: 'Sara (old account)', email: 'sara@example.com', emailVerified: true });
    const merged = await admin.users.merge(userId, other.id);
    expect(merged).toMatchObject({ targetUserId: userId, sourceUserId: other.id });
    expect((await admin.users.get(other.id)).status).toBe('merged');
    expect((await admin.merges.list({ userId })).items.map((m) => m.id)).toContain(merged.mergeId);
    await admin.merges.undo(merged.mergeId);
    expect((await admin.users.get(other.id)).status).toBe('active');

    await admin.users.unlinkIdentity(userId, identities[0]?.id ?? '');
    expect(await admin.users.identities(userId)).toEqual([]);

    const suggestions = await admin.mergeSuggestions.list({ status: 'open' });
    expect(Array.isArray(suggestions.items)).toBe(true);
  });

  it('console calls: search box, merge preview, credential check, login statistics, actor names', async () => {
    const browser = new Browser();
    await loginWithS2(world, world.first, browser, await world.person('Previewed'));
    const userId = String((await sessionOf(browser, world.first))?.sub);
    const other = await admin.users.create({ name: 'Preview Target Person' });
    expect((await admin.users.list({ q: 'target person' })).items.map((u) => u.id)).toEqual([other.id]);

    const preview = await admin.users.mergePreview(other.id, userId);
    expect(preview).toMatchObject({ allowed: true, refusal: null, source: { id: userId } });
    expect(preview.result.identitiesMoving).toHaveLength(1);
    expect((await admin.users.get(userId)).status).toBe('active');
    expect(await admin.users.mergePreview(userId, userId)).toMatchObject({ allowed: false, refusal: { code: 'merge_refused' } });

    expect(await admin.connections.checkCredentials({ connectionId: 'demo-website' })).toMatchObject({ ok: true, method: 'oauth_probe' });
    const wrong = await admin.connections.checkCredentials({ appType: 'mini_program', appid: 'wxd00000000000b002', secret: 'wrong' });
    expect(wrong).toMatchObject({ ok: false, errcode: 40125 });
    expect((await admin.connections.get('demo-mini-program')).setup).toEqual([{ key: 'request_domain', value: world.first.url }]);

    const stats = await admin.stats.logins({ bucket: 'hour', from: Date.now() - 3_600_000 });
    expect(stats.buckets.length).toBeGreaterThanOrEqual(1);
    expect(stats.logins.byScenario.s2?.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);

    await admin.users.merge(other.id, userId);
    expect((await admin.merges.list({ userId })).items[0]?.actor).toMatchObject({ kind: 'admin_key', name: 'sdk-node test' });
  });

  it('connections: list the demo ones, create, update, delete', async () => {
    const all = await admin.connections.list();
    expect(all.map((c) => c.id)).toEqual(expect.arrayContaining(['demo-official-account', 'demo-mini-program']));
    const created = await admin.connections.create({
      id: 'sdk-test-app',
      name: 'SDK test app',
      appType: 'mobile_app',
      appid: 'wx1234567890abcdef',
      secret: 'a'.repeat(32),
      scenarios: ['s6'],
    });
    expect(created).toMatchObject({ id: 'sdk-test-app', source: 'api', secretSet: true });
    expect(created).not.toHaveProperty('secret');
    expect((await admin.connections.update('sdk-test-app', { name: 'Renamed' })).name).toBe('Renamed');
    expect((await admin.connections.get('sdk-test-app')).name).toBe('Renamed');
    const duplicate = await apiError(
      admin.connections.create({ id: 'sdk-test-app', name: 'x', appType: 'mobile_app', appid: 'wx1234567890abcdef', scenarios: ['s6'] }),
    );
    expect(duplicate).toMatchObject({ code: 'conflict', status: 409 });
    await admin.connections.delete('sdk-test-app');
    expect(await apiError(admin.connections.get('sdk-test-app'))).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('applications: create a web application, rotate its secret, update, list, delete', async () => {
    const { application, clientSecret } = await admin.applications.create({
      id: 'sdk-shop',
      name: 'Shop',
      type: 'web',
      redirectUris: ['https://shop.example/callback'],
    });
    expect(application).toMatchObject({ id: 'sdk-shop', type: 'web', secretSet: true, scenarios: ['s1', 's2', 's3', 's4'] });
    expect(clientSecret).toEqual(expect.any(String));
    const rotated = await admin.applications.rotateSecret('sdk-shop');
    expect(rotated).not.toBe(clientSecret);
    expect((await admin.applications.update('sdk-shop', { name: 'Shop 2', scenarios: ['s2'] })).scenarios).toEqual(['s2']);
    expect((await admin.applications.list()).map((a) => a.id)).toContain('sdk-shop');

    const spa = await admin.applications.create({ id: 'sdk-spa', name: 'SPA', type: 'spa', redirectUris: ['https://spa.example/cb'] });
    expect(spa.clientSecret).toBeNull();
    expect(await apiError(admin.applications.rotateSecret('sdk-spa'))).toMatchObject({ code: 'conflict', status: 409 });

    await admin.applications.delete('sdk-shop');
    expect(await apiError(admin.applications.get('sdk-shop'))).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('typed errors: 404 for an unknown user, 400 naming the field, 401 for a bad key', async () => {
    const missing = await apiError(admin.users.get('usr_nobody'));
    expect(missing).toMatchObject({ code: 'not_found', status: 404 });
    const invalid = await apiError(admin.users.create({ phoneNumber: '13900001111' }));
    expect(invalid.code).toBe('validation_failed');
    expect(invalid.status).toBe(400);
    expect(invalid.message).toContain('phoneNumber');
    const intruder = createManagementClient({ baseUrl: world.first.url, apiKey: 'wu_not-a-real-key' });
    expect(await apiError(intruder.users.list())).toMatchObject({ code: 'unauthorized', status: 401 });
    const unreachable = createManagementClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'wu_x' });
    expect(await apiError(unreachable.users.list())).toMatchObject({ code: 'network_error', status: 0 });
  });
});
