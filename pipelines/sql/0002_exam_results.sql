-- exam_results: one read medical exam document (pipeline medical_exam, stage `save`).
-- job_id is the primary key: the stage's idempotency (ON CONFLICT (job_id) DO NOTHING) needs it.
CREATE TABLE IF NOT EXISTS exam_results (
  job_id        uuid PRIMARY KEY,
  user_id       uuid NOT NULL,
  document_url  text NOT NULL,
  exam_type     text,
  exam_date     text,                   -- as printed on the document; not always a full date
  exam_values   jsonb NOT NULL,         -- [{name, value, unit, reference_min, reference_max, flag}]
  summary       text,
  provider      text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS exam_results_user_created ON exam_results (user_id, created_at DESC);
