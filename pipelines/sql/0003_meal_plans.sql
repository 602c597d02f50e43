-- meal_plans: one generated meal plan (pipeline meal_plan, stage `save`).
-- job_id is the primary key: the stage's idempotency (ON CONFLICT (job_id) DO NOTHING) needs it.
CREATE TABLE IF NOT EXISTS meal_plans (
  job_id      uuid PRIMARY KEY,
  user_id     uuid NOT NULL,
  request     jsonb NOT NULL,           -- the job's input: days, target, goal, restrictions
  meals       jsonb NOT NULL,           -- the plan as proposed: [{name, items: [{name, grams}]}]
  nutrition   jsonb NOT NULL,           -- nutrition.totals output per meal and for the plan
  kcal_total  numeric(9, 1),
  provider    text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS meal_plans_user_created ON meal_plans (user_id, created_at DESC);
