-- Supabase compatibility: the roles and the `auth` schema that the job tables' policies use.
-- On Supabase they exist and are left untouched; on a plain PostgreSQL (tests, local default) a
-- minimal compatible set is created, with auth.uid()/role()/email()/jwt() exactly as Supabase
-- Auth defines them (they read request.jwt.claims, as PostgREST v12 sets it).

-- Roles are cluster-wide: two databases migrating at once may race to create one, so each is
-- created in its own block that tolerates "already exists".
do $$
declare
  role_name text;
begin
  foreach role_name in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_roles where rolname = role_name) then
      begin
        execute format('create role %I nologin noinherit%s', role_name,
                       case when role_name = 'service_role' then ' bypassrls' else '' end);
      exception when duplicate_object or unique_violation then
        null;  -- created meanwhile by another migration
      end;
    end if;
  end loop;
end
$$;

do $$
begin
  if exists (select 1 from pg_namespace where nspname = 'auth') then
    return;  -- Supabase (or an earlier run): use what is there
  end if;
  create schema auth;
  create table auth.users (
    id uuid primary key,
    email text,
    role text default 'authenticated',
    raw_app_meta_data jsonb default '{}',
    raw_user_meta_data jsonb default '{}',
    created_at timestamptz default now()
  );
  create function auth.uid() returns uuid language sql stable as $f$
    select coalesce(
      nullif(current_setting('request.jwt.claim.sub', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
  $f$;
  create function auth.role() returns text language sql stable as $f$
    select coalesce(
      nullif(current_setting('request.jwt.claim.role', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
    )::text
  $f$;
  create function auth.email() returns text language sql stable as $f$
    select coalesce(
      nullif(current_setting('request.jwt.claim.email', true), ''),
      (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
    )::text
  $f$;
  create function auth.jwt() returns jsonb language sql stable as $f$
    select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                    nullif(current_setting('request.jwt.claims', true), ''))::jsonb
  $f$;
  grant usage on schema auth to anon, authenticated, service_role;
  grant execute on all functions in schema auth to anon, authenticated, service_role;
end
$$;
