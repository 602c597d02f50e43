-- One index fewer on every insert: the claim walks (status, priority, created_at).
--
-- analysis_jobs_claimable_idx held (priority, created_at) of pending rows. The index MISSION.md
-- asks for on (status, priority, created_at) holds the same walk: its 'pending' entries, in
-- priority then age order. aiw_claim_jobs (0005) runs with enable_sort off, so the planner can
-- only pick a walk in that order, and with this index gone that is the status index (checked
-- with EXPLAIN on 100,000 pending and 100,000 completed rows: the same 13 index pages for a
-- claim of 500). Every inserted job wrote both; now it writes one.
drop index if exists public.analysis_jobs_claimable_idx;
