-- Live workers: each beats its row; the reaper treats a worker whose beat is older than its
-- own stated lease as dead and gives its jobs back. The gateway reads it to decide fallback.
create table if not exists public.aiw_workers (
  id text primary key,
  host text not null,
  pid int not null,
  types text[] not null,
  concurrency int not null,
  in_flight int not null default 0,
  status text not null default 'running' check (status in ('running', 'draining', 'stopped')),
  lease_ms int not null,            -- dead when heartbeat_at is older than this
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now(),
  version text
);

alter table public.aiw_workers enable row level security;
drop policy if exists aiw_workers_service_role_all on public.aiw_workers;
create policy aiw_workers_service_role_all on public.aiw_workers
  for all to service_role using (true) with check (true);
grant all on public.aiw_workers to service_role;
