/**
 * Which connection a browser login goes through: the one named (`connection` id), or else the
 * first that serves the scenario. A connection that does not serve the scenario, or has no
 * AppSecret to talk to WeChat with, cannot start it.
 */
import { AppError } from '@weunion/errors';
import type { WechatAppCredentials } from '@weunion/wechat';
import type { FastifyInstance } from 'fastify';
import type { ScenarioId } from '../connections/schema.ts';
import { type Connection, findConnection, findConnectionsForScenario } from '../connections/store.ts';

export async function connectionForScenario(app: FastifyInstance, scenario: ScenarioId, id?: string): Promise<Connection> {
  const { database, secrets } = app.ctx;
  const connection =
    id === undefined
      ? (await findConnectionsForScenario(database.db, secrets, scenario))[0]
      : await findConnection(database.db, secrets, id);
  if (connection === undefined || connection === null || !connection.scenarios.includes(scenario)) {
    throw new AppError('not_found', id === undefined ? `No connection serves ${scenario}` : `Connection ${id} does not serve ${scenario}`);
  }
  return connection;
}

/** The app credentials for WeChat calls; a connection without its secret is a configuration error. */
export function credentialsOf(connection: Connection): WechatAppCredentials {
  if (connection.secret === null) throw new AppError('config_invalid', `Connection ${connection.id} has no AppSecret`);
  return { appid: connection.appid, secret: connection.secret };
}
