-- Under a per-user limit an enqueue counted each user's active jobs twice: aiw_enqueue_jobs
-- counts them for the whole batch under the users' advisory locks, and then the BEFORE INSERT
-- row trigger counted them again for every row (its own lock, a query, a PL/pgSQL call per
-- row). Production runs with the limit on.
--
-- The function now sets the transaction-local setting aiw.enqueue_counted to 'on' around its
-- own insert, and the trigger's WHEN clause skips rows inserted while it is on. Any other insert,
-- including one later in the same transaction, is still counted by the trigger.
--
-- The setting is not a secret: any session can set it. That gives nothing away. Only roles that
-- may insert into analysis_jobs at all can use it (service_role and the owner: users only read,
-- by grant and RLS), and those roles can already turn the limit off for their session with
-- aiw.max_active_jobs_per_user = 0. The limit guards against runaway clients of the gateway,
-- whose inserts all go through this function.
--
-- Same signature, answers and refusals as 0007.
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
    -- This statement counts and refuses itself (below): the row trigger need not count again.
    perform set_config('aiw.enqueue_counted', 'on', true);
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
  -- Cleared at once: a later insert of the same transaction is counted by the trigger again.
  if max_active > 0 then
    perform set_config('aiw.enqueue_counted', '', true);
  end if;
end
$$;

drop trigger if exists analysis_jobs_active_limit_insert on public.analysis_jobs;
create trigger analysis_jobs_active_limit_insert
  before insert on public.analysis_jobs
  for each row
  when (new.status in ('pending', 'processing')
        and coalesce(nullif(current_setting('aiw.max_active_jobs_per_user', true), ''), '10') <> '0'
        and current_setting('aiw.enqueue_counted', true) is distinct from 'on')
  execute function public.aiw_enforce_active_job_limit();
