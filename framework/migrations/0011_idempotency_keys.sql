-- Idempotency keys for POST /v1/jobs (the `Idempotency-Key` header, docs/api.md).
--
-- A client whose request timed out cannot know whether its job was stored; retrying it with the
-- same key stores it at most once. A key belongs to one user and is remembered as long as the
-- job's row is kept (retention). The column is null for jobs enqueued without a key, and the
-- index holds only keyed rows, so jobs without a key pay nothing for it.
alter table public.analysis_jobs add column if not exists idempotency_key text
  check (idempotency_key is null or length(idempotency_key) between 1 and 255);
-- One expression (the user's id in its canonical text, a space, the key) rather than the two
-- columns: no other index holds it, so the lookup in aiw_enqueue_keyed_jobs cannot be answered
-- by another index (user_id leads two others) whatever the statistics say. A uuid's text has a
-- fixed length, so the expression is unique exactly when the pair is.
create unique index if not exists analysis_jobs_user_idempotency_key_idx
  on public.analysis_jobs (((user_id::text || ' ') || idempotency_key)) where idempotency_key is not null;

-- aiw_enqueue_jobs for a batch with keys (see the answers below). A function of its own for its
-- settings: with the statistics of a new or just-emptied table ("a few rows") the planner joined
-- the batch to the whole table by hashing it, and kept that generic plan for the connection's
-- life, so every batch read every row (7 ms a batch at 40,000 rows, and growing; measured). With
-- sequential scans and hash and merge joins off, the only plan left looks each key up in its
-- index. The caller has taken the users' locks and set aiw.enqueue_counted under a limit.
create or replace function public.aiw_enqueue_keyed_jobs(jobs jsonb, max_active int)
returns table (out_ord int, out_id uuid, out_refused text, out_active int)
language plpgsql
set plan_cache_mode = force_generic_plan
set jit = off
set enable_seqscan = off
set enable_hashjoin = off
set enable_mergejoin = off
as $$
begin
  perform pg_advisory_xact_lock(hashtextextended('aiw.idempotency_key:' || k, 0))
    from (select distinct (e->>'user_id')::uuid::text || ' ' || (e->>'idempotency_key') as k
            from jsonb_array_elements(jobs) e where e ? 'idempotency_key' order by 1) keys;
  return query
  with input as (
    select x.ord::int as ord, (x.e->>'user_id')::uuid as user_id, x.e,
           x.e->>'idempotency_key' as ikey, gen_random_uuid() as new_id
      from jsonb_array_elements(jobs) with ordinality as x(e, ord)
  ), keyed as (
    select i.ord, i.user_id, i.ikey, i.e, (i.user_id::text || ' ') || i.ikey as lookup,
           row_number() over (partition by i.user_id, i.ikey order by i.ord) as krn
      from input i where i.ikey is not null
  ), repeats as (
    -- Keyed entries that store nothing: the key is taken already, or taken earlier in the batch.
    select k.ord, a.id,
           case when a.id is null then 'idempotency_in_progress'
                when a.type = k.e->>'type' and a.input = coalesce(k.e->'input', '{}'::jsonb)
                     and a.priority = coalesce((k.e->>'priority')::int, 5) then 'duplicate'
                else 'idempotency_mismatch' end as refused
      from keyed k
      left join lateral (
        select a.id, a.type, a.input, a.priority from public.analysis_jobs a
         where ((a.user_id::text || ' ') || a.idempotency_key) = k.lookup
           and a.idempotency_key is not null) a on true
     where a.id is not null or k.krn > 1
  ), ranked as (
    select i.*,
           row_number() over (partition by i.user_id order by i.ord) as rn,
           -- Only under a limit, as in aiw_enqueue_jobs.
           case when max_active > 0 then
             (select count(*) from public.analysis_jobs a
               where a.user_id = i.user_id and a.status in ('pending', 'processing'))::int
           else 0 end as active
      from input i
     where not exists (select 1 from repeats r where r.ord = i.ord)
  ), fits as (
    select r.*, (max_active <= 0 or r.active + r.rn <= max_active) as ok from ranked r
  ), ins as (
    insert into public.analysis_jobs (id, user_id, type, input, priority, max_attempts, status,
                                      worker_id, started_at, run_by, attempts, idempotency_key)
    select f.new_id, f.user_id, f.e->>'type', coalesce(f.e->'input', '{}'::jsonb),
           coalesce((f.e->>'priority')::int, 5), coalesce((f.e->>'max_attempts')::int, 3),
           coalesce(f.e->>'status', 'pending'), f.e->>'worker_id',
           case when f.e->>'status' = 'processing' then now() end,
           coalesce(f.e->>'run_by', 'worker'),
           case when f.e->>'status' = 'processing' then 1 else 0 end,
           f.ikey
      from fits f where f.ok order by f.ord
    returning 1
  )
  select f.ord, case when f.ok then f.new_id end,
         case when f.ok then null else 'active_limit' end, (f.active + f.rn - 1)::int
    from fits f
  union all
  select r.ord, r.id, r.refused, 0 from repeats r
  order by 1;
end
$$;

-- Same signature as 0010, and the same answers for jobs without a key. A job with a key
-- ("idempotency_key" in its batch entry) gets one of:
--   out_refused null            stored now (out_id)
--   'duplicate'                 the user already has a job with this key and the same type,
--                               input and priority: out_id is that job, nothing is stored
--   'idempotency_mismatch'      the user has a job with this key but another type, input or
--                               priority: out_id is that job, nothing is stored
--   'idempotency_in_progress'   an earlier entry of the same batch carries the same user and
--                               key (two requests at once): this one is not stored
-- Keys are locked per (user, key) for the transaction before anything is read, so two batches
-- with the same key at once are serialised: the second one's statement starts after the first
-- committed and sees its row (each statement of a volatile PL/pgSQL function takes a new
-- snapshot), so it answers 'duplicate' instead of failing on the unique index. Locks are taken
-- in one sorted order (users first, as before, then keys), so two batches cannot deadlock.
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
  if not jobs @? '$[*].idempotency_key' then
    -- No keys (the common case): 0010's statement as it was, so batches without keys pay
    -- nothing for them (the keyed statement costs 3-7 % more per batch even without keys).
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
  else
    return query select * from public.aiw_enqueue_keyed_jobs(jobs, max_active);
  end if;
  -- Cleared at once: a later insert of the same transaction is counted by the trigger again.
  if max_active > 0 then
    perform set_config('aiw.enqueue_counted', '', true);
  end if;
end
$$;
