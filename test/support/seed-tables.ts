// The seed plans' own tables, for tests that run the profiles' SQL on a real PostgreSQL.

/** Seed 000's `pipeline_usage_logs`, exactly as the plan defines it (shared/seeds/000_…). */
export const PIPELINE_USAGE_LOGS = `
CREATE TABLE pipeline_usage_logs (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id UUID NOT NULL,
  pipeline_type VARCHAR(20) NOT NULL,
  success BOOLEAN NOT NULL,
  response_time_ms INTEGER,
  error_message TEXT,
  created_at TIMESTAMPTZ DEFAULT NOW()
);`;
