-- What the gateway needs: per-type flags changed at run time, and an enqueue function that
-- takes a whole batch (group commit) and refuses, per row, only the jobs of users over their
-- active-job limit instead of failing the batch.

create table if not exists public.aiw_flags (
  type text primary key,
  async_enabled boolean not null default false,  -- off: the gateway runs the pipeline itself
  canary_percent int not null default 100 check (canary_percent between 0 and 100),
  updated_at timestamptz not null default now(),
  updated_by text
);
alter table public.aiw_flags enable row level security;
drop policy if exists aiw_flags_service_role_all on public.aiw_flags;
create policy aiw_flags_service_role_all on public.aiw_flags
  for all to service_role using (true) with check (true);
grant all on public.aiw_flags to service_role;

-- jobs: [{user_id, type, input, priority, max_attempts, status?, worker_id?, run_by?}, ...]
-- Returns one row per input element, in order: the new id, or refused = 'active_limit' with the
-- user's active count. Users are locked in a stable order (no deadlock between two batches), and
-- the insert trigger checks the same limit again, consistently, under the same locks.
create or replace function public.aiw_enqueue_jobs(jobs jsonb)
returns table (out_ord int, out_id uuid, out_refused text, out_active int)
language plpgsql as $$
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
           (select count(*) from public.analysis_jobs a
             where a.user_id = i.user_id and a.status in ('pending', 'processing'))::int as active
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
