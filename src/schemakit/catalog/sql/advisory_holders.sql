-- Sessions holding a one-key advisory lock in this database: the int8 key (split by
-- pg_locks into two oids), pid, application_name, client address, backend_start, state and
-- query.
SELECT (l.classid::bigint << 32) | l.objid::bigint,
       l.pid,
       coalesce(a.application_name, ''),
       coalesce(a.client_addr::text, 'local'),
       a.backend_start,
       coalesce(a.state, ''),
       coalesce(a.query, '')
FROM pg_locks l
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory'
  AND l.granted
  AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY l.pid
