/**
 * The one call a scenario makes once WeChat has told it who the person is: the connection supplies
 * the app's type, its Open Platform account and its policy, so a scenario cannot pair a unionid
 * with the wrong Open Platform account or apply another app's policy.
 */
import { AppError } from '@weunion/errors';
import type { IdentityAssertion, WechatProfile } from '../identity/assertion.ts';
import { type IdentityDeps, type SignInOutcome, signIn } from '../identity/pending-sign-in.ts';
import type { IdentityPolicy } from '../identity/policy.ts';
import type { ScenarioId } from './schema.ts';
import type { Connection } from './store.ts';

/** What WeChat said about the person, as the scenario verified it. */
export interface WechatIdentityFacts {
  openid: string;
  unionid?: string | undefined;
  /** A phone number WeChat verified, E.164. */
  phone?: string | undefined;
  profile?: WechatProfile | undefined;
  /** WeChat snapshot mode (`is_snapshotuser`). */
  snapshot?: boolean | undefined;
}

export function assertionFor(
  connection: Pick<Connection, 'appid' | 'appType' | 'openPlatformId'>,
  facts: WechatIdentityFacts,
): IdentityAssertion {
  return {
    appid: connection.appid,
    appType: connection.appType,
    openPlatformId: connection.openPlatformId,
    openid: facts.openid,
    ...(facts.unionid === undefined || facts.unionid === '' ? {} : { unionid: facts.unionid }),
    ...(facts.phone === undefined ? {} : { phone: facts.phone }),
    ...(facts.profile === undefined ? {} : { profile: facts.profile }),
    ...(facts.snapshot === true ? { snapshot: true } : {}),
  };
}

/** Signs the person in through `connection` for `scenario`, under the connection's policy. */
export async function signInThroughConnection(
  deps: IdentityDeps,
  connection: Connection,
  scenario: ScenarioId,
  facts: WechatIdentityFacts,
  /** The policy to apply instead of the connection's (an application's override merged in). */
  policy: IdentityPolicy = connection.policy,
): Promise<SignInOutcome> {
  if (!connection.scenarios.includes(scenario)) {
    throw new AppError('forbidden', `Connection ${connection.id} does not serve scenario ${scenario}`);
  }
  return signIn(deps, assertionFor(connection, facts), policy);
}
