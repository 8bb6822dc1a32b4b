/**
 * `subjectType: 'external'` (migrating off Authing): an application that says so sees a person's
 * imported id as `sub` in the ID token and at userinfo, and an `id_token_hint` carrying that `sub`
 * names the signed-in person (prompt=none answers without a login); an application of the same
 * deployment without it keeps seeing the weunion id. Real server, real hosted login (S2), openid-client.
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../identity/audit.ts';
import { importPeople } from '../../import/run.ts';
import { Browser, freshRequest, jwtPayload, OidcWorld, storageModes } from './harness.ts';

for (const mode of storageModes) {
  describe.skipIf(mode.skip)(`OIDC: the imported id as sub (${mode.name})`, () => {
    let oidc: OidcWorld;
    let publicConfig: client.Configuration;
    let legacyConfig: client.Configuration;

    beforeAll(async () => {
      oidc = await OidcWorld.start(mode);
      publicConfig = await oidc.rp(await oidc.register({ id: 'shop-web', name: 'Shop', type: 'web' }));
      legacyConfig = await oidc.rp(await oidc.register({ id: 'legacy-crm', name: 'Legacy CRM', type: 'web', subjectType: 'external' }));
    });
    afterAll(async () => {
      await oidc?.close();
    });

    async function login(config: client.Configuration, browser: Browser, person: string | undefined, extra: Record<string, string> = {}) {
      const request = await freshRequest(extra);
      const callback = await oidc.authorize(browser, config, request.params, person === undefined ? {} : { person });
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
      });
      return { tokens, claims: jwtPayload(tokens.id_token ?? ''), visited: [...oidc.visited] };
    }

    it('the external application gets the imported id in the ID token and at userinfo; id_token_hint with it finds the person', async () => {
      const browser = new Browser();
      const person = await oidc.world.person('Migrated');
      const first = await login(publicConfig, browser, person);
      const userId = String(first.claims.sub);
      expect(userId).toMatch(/^usr_/);
      // Without an imported id, the external application sees the weunion id too.
      expect((await login(legacyConfig, browser, undefined)).claims.sub).toBe(userId);

      const imported = await importPeople(
        oidc.world.database,
        JSON.stringify([{ id: userId, externalId: { source: 'authing', id: '62b1a11ce0000000000000aa' } }]),
        'json',
        { actor: SYSTEM_ACTOR, dryRun: false },
      );
      expect(imported).toMatchObject({ joined: 1, created: 0 });

      const legacy = await login(legacyConfig, browser, undefined);
      expect(legacy.claims.sub).toBe('62b1a11ce0000000000000aa');
      const userinfo = await client.fetchUserInfo(legacyConfig, legacy.tokens.access_token, '62b1a11ce0000000000000aa');
      expect(userinfo.sub).toBe('62b1a11ce0000000000000aa');
      expect((await login(publicConfig, browser, undefined)).claims.sub).toBe(userId);

      const silent = await login(legacyConfig, browser, undefined, { prompt: 'none', id_token_hint: legacy.tokens.id_token ?? '' });
      expect(silent.visited.some((path) => path.startsWith('/interaction') || path === '/login')).toBe(false);
      expect(silent.claims.sub).toBe('62b1a11ce0000000000000aa');
    });
  });
}
