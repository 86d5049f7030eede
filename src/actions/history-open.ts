// Which history the agent writes for a rollout: the shared PostgreSQL database when the profile's
// state is there (so every host reads what the leading agent stored), else the SQLite file in the
// state directory. The PostgreSQL side is loaded only then.

import type { HistoryWriter } from '../engine/history.js';
import type { Profile } from '../profile/types.js';
import { openSqliteHistory, type SqliteHistoryOptions } from './history-sqlite.js';

export type HistoryWriterOptions = Pick<SqliteHistoryOptions, 'retentionMs' | 'maxBytes' | 'onProblem'>;

/** Opens (creating what is missing); never throws for the store's sake: `problem` says what went wrong. */
export async function openHistoryWriter(profile: Profile, stateDir: string, opts: HistoryWriterOptions): Promise<HistoryWriter> {
  if (profile.state?.store !== 'postgres') return openSqliteHistory(profile, stateDir, opts);
  const { PgHistory } = await import('./history-postgres.js');
  const history = new PgHistory(profile, profile.state, opts);
  await history.start();
  return history;
}
