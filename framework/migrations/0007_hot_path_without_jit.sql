-- The enqueue and claim functions, tuned for the hot path (measured in bench/README.md "Gateway").
--
-- aiw_enqueue_jobs counts each user's active jobs only when the per-user limit is on
-- (aiw.max_active_jobs_per_user > 0). With the limit off it counted anyway, and the count grows
-- with the user's backlog: in the gateway benchmark (limit off, 1,000 users, jobs left pending)
-- it was a quarter of PostgreSQL's CPU at 4,000 enqueues a second. Under a limit the count is
-- bounded by the limit, so it stays. Same signature and answers as 0006.
--
-- It runs without JIT: under a limit, the plan's estimated cost (the count, planned for 100
-- rows of a batch) passes jit_above_cost, and compiling took ~30 ms on every call for a
-- statement that runs in ~1 ms (aiw's connections also turn JIT off; this covers any caller).
-- And it keeps one generic plan (plan_cache_mode): the gateway calls it for every small batch,
-- and PL/pgSQL otherwise planned the statement again on each call (12 % slower for a batch of
-- 10 here). No parameter changes which plan is best: the rows come from the batch, the count
-- goes by the user's index.
create or replace function public.aiw_enqueue_jobs(jobs jsonb)
returns table (out_ord int, out_id uuid, out_refused text, out_active int)
language plpgsql
set plan_cache_mode = force_generic_plan
set jit = off
as $$
declare
  max_active int := coalesce(nullif(current_setting('aiw.max_active_jobs_per_user', true), '')::int, 10);
begin
  if max_active > 0 then
    perform pg_advisory_xact_lock(hashtextextended('aiw.active_jobs:' || u, 0))
      from (select distinct e->>'user_id' as u from jsonb_array_elements(jobs) e order by 1) users;
  end if;
  return query
  with input as (
    select x.ord::int as ord, (x.e->>'user_id')::uuid as user_id, x.e, gen_random_uuid() as new_id
      from jsonb_array_elements(jobs) with ordinality as x(e, ord)
  ), ranked as (
    select i.*,
           row_number() over (partition by i.user_id order by i.ord) as rn,
           -- Only under a limit: unbounded, the count visited every active row of the user
           -- (hundreds in a burst) for each row inserted.
           case when max_active > 0 then
             (select count(*) from public.analysis_jobs a
               where a.user_id = i.user_id and a.status in ('pending', 'processing'))::int
           else 0 end as active
      from input i
  ), fits as (
    select r.*, (max_active <= 0 or r.active + r.rn <= max_active) as ok from ranked r
  ), ins as (
    insert into public.analysis_jobs (id, user_id, type, input, priority, max_attempts, status,
                                      worker_id, started_at, run_by, attempts)
    select f.new_id, f.user_id, f.e->>'type', coalesce(f.e->'input', '{}'::jsonb),
           coalesce((f.e->>'priority')::int, 5), coalesce((f.e->>'max_attempts')::int, 3),
           coalesce(f.e->>'status', 'pending'), f.e->>'worker_id',
           case when f.e->>'status' = 'processing' then now() end,
           coalesce(f.e->>'run_by', 'worker'),
           case when f.e->>'status' = 'processing' then 1 else 0 end
      from fits f where f.ok order by f.ord
    returning 1
  )
  select f.ord, case when f.ok then f.new_id end,
         case when f.ok then null else 'active_limit' end, (f.active + f.rn - 1)::int
    from fits f order by f.ord;
end
$$;

-- The claim (0005) likewise never benefits from JIT.
alter function public.aiw_claim_jobs(text[], int, text) set jit = off;
