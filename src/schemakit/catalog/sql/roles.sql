-- Every role: its attributes that reach past its own objects, the roles whose privileges it
-- has (itself included, as pg_has_role(r, b, 'USAGE') counts them: inherited memberships),
-- the roles it is a direct member of (what REVOKE can undo), and which is current_user.
SELECT r.rolname, r.rolsuper,
       ARRAY(SELECT b.rolname FROM pg_roles b WHERE pg_has_role(r.oid, b.oid, 'USAGE')),
       r.rolname = current_user,
       r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
       ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
             WHERE m.member = r.oid)
FROM pg_roles r
ORDER BY 1
