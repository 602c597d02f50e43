-- Results of identical inputs: key = hash of (type, pipeline version, canonical input), so the
-- key reveals nothing of the input. Only the service role reads or writes it.
create table if not exists public.analysis_cache (
  id bigint generated always as identity primary key,
  cache_key text not null unique,
  type text not null,
  response jsonb not null,
  hit_count int not null default 0,
  last_hit_at timestamptz,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
create index if not exists analysis_cache_expires_idx on public.analysis_cache (expires_at);

alter table public.analysis_cache enable row level security;
drop policy if exists analysis_cache_service_role_all on public.analysis_cache;
create policy analysis_cache_service_role_all on public.analysis_cache
  for all to service_role using (true) with check (true);
grant all on public.analysis_cache to service_role;
