-- aiw's own writes send their NOTIFYs after they commit, not inside their transaction.
--
-- PostgreSQL serialises the commits of every transaction that notifies, database-wide: the
-- committing backend takes one lock before it queues its notifications and holds it through
-- the commit's WAL flush. Concurrent writers that notify therefore flush one after the other and
-- never share a flush (group commit). Measured here with pgbench, a one-row insert with 16
-- clients: ~4,000 transactions/s, ~500/s with a pg_notify in each. The gateway's two enqueue
-- writers and a worker's claims and outcomes all notify, so each waited for the others' flushes.
--
-- A transaction that only notifies writes no WAL, so it holds that lock for microseconds. aiw's
-- connections set aiw.notify_after_commit = on (queue/db.cpp) and send their notifications in a
-- statement of their own right after the write commits (JobStore, the gateway's Enqueuer). A
-- notification lost between the two (the process dies in between) delays, never loses: workers
-- poll every WORKER_POLL_INTERVAL_MS and the gateway's event streams re-read their jobs every
-- few seconds. Inserts from anyone else (SQL, another service) still notify from the trigger.
drop trigger if exists analysis_jobs_notify_pending on public.analysis_jobs;
create trigger analysis_jobs_notify_pending
  after insert on public.analysis_jobs
  referencing new table as new_rows
  for each statement
  when (current_setting('aiw.notify_after_commit', true) is distinct from 'on')
  execute function public.aiw_notify_pending_jobs();

-- The per-user limit trigger is not called at all when the limit is off (0): the WHEN clause is
-- evaluated without entering PL/pgSQL, which cost ~6 % of an enqueue's CPU for every row. The
-- function itself still treats an unset or empty setting as the default of 10.
drop trigger if exists analysis_jobs_active_limit_insert on public.analysis_jobs;
create trigger analysis_jobs_active_limit_insert
  before insert on public.analysis_jobs
  for each row
  when (new.status in ('pending', 'processing')
        and coalesce(nullif(current_setting('aiw.max_active_jobs_per_user', true), ''), '10') <> '0')
  execute function public.aiw_enforce_active_job_limit();
