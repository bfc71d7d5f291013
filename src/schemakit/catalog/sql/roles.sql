-- Every role: superuser or not, the roles whose privileges it has (itself included, as
-- pg_has_role(r, b, 'USAGE') counts them: inherited memberships), and which is current_user.
SELECT r.rolname, r.rolsuper,
       ARRAY(SELECT b.rolname FROM pg_roles b WHERE pg_has_role(r.oid, b.oid, 'USAGE')),
       r.rolname = current_user
FROM pg_roles r
ORDER BY 1
