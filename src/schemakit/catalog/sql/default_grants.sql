-- Schema-wide default privileges (ALTER DEFAULT PRIVILEGES IN SCHEMA ... GRANT ...).
SELECT pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype::text,
       CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
       a.privilege_type
FROM pg_default_acl d
JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
