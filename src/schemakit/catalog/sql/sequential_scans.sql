-- The sequential scans this transaction has made so far, per relation that had any.
SELECT relid::bigint, seq_scan FROM pg_stat_xact_all_tables WHERE seq_scan > 0
