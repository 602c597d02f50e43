-- meal_analyses: one analysed food photo (pipeline sofia_image, stage persist.row `save`).
-- job_id is the primary key: the stage's idempotency (ON CONFLICT (job_id) DO NOTHING) needs it.
CREATE TABLE IF NOT EXISTS meal_analyses (
  job_id      uuid PRIMARY KEY,
  user_id     uuid NOT NULL,
  image_url   text NOT NULL,
  meal_type   text,
  foods       jsonb NOT NULL,           -- [{name, grams, ...}] as the model named them
  nutrition   jsonb NOT NULL,           -- nutrition.totals output: items, totals, unknown, ...
  kcal        numeric(8, 1),            -- totals.kcal, for queries without jsonb
  detections  jsonb,                    -- YOLO labels; NULL when detection was unavailable
  provider    text,                     -- which LLM answered (ollama, gemini)
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS meal_analyses_user_created ON meal_analyses (user_id, created_at DESC);
