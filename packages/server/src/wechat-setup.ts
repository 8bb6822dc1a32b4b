/**
 * Which WeChat this instance talks to: the built-in sandbox, or real WeChat (or whatever the
 * WECHAT_*_URL options point at). The sandbox is never on by accident: `SANDBOX=auto` turns it
 * on only while no real WeChat app is configured (every connection came from the demo seed).
 */
import type { WechatEndpoints } from '@weunion/wechat';
import type { Config } from './config/index.ts';
import { listConnections } from './connections/store.ts';
import { SANDBOX_PREFIX } from './sandbox-mount.ts';
import type { Database } from './storage/index.ts';

export interface WechatSetup {
  sandbox: boolean;
  /** Why the sandbox is on or off, for the start banner. */
  reason: string;
  endpoints: WechatEndpoints;
}

export async function decideWechatSetup(config: Config, database: Database): Promise<WechatSetup> {
  const real = await realConnectionIds(config, database);
  let sandbox: boolean;
  let reason: string;
  if (config.sandbox === 'on') {
    sandbox = true;
    reason = real.length > 0 ? `SANDBOX=on although real WeChat apps are configured (${real.join(', ')})` : 'SANDBOX=on';
  } else if (config.sandbox === 'off') {
    sandbox = false;
    reason = 'SANDBOX=off';
  } else {
    sandbox = real.length === 0;
    reason = sandbox
      ? 'SANDBOX=auto and no real WeChat app is configured'
      : `SANDBOX=auto and real WeChat apps are configured (${real.join(', ')})`;
  }
  const sandboxUrl = `${config.publicUrl}${SANDBOX_PREFIX}`;
  const endpoints: WechatEndpoints = sandbox
    ? { api: sandboxUrl, open: sandboxUrl, mp: sandboxUrl }
    : { api: config.wechatApiUrl, open: config.wechatOpenUrl, mp: config.wechatMpUrl };
  return { sandbox, reason, endpoints };
}

async function realConnectionIds(config: Config, database: Database): Promise<string[]> {
  const declared = Array.isArray(config.file.connections) ? config.file.connections.length : 0;
  const stored = (await listConnections(database.db)).filter((c) => c.source !== 'sandbox').map((c) => c.id);
  return declared > 0 && stored.length === 0 ? ['(from the config file)'] : stored;
}
