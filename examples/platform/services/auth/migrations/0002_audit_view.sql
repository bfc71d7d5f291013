-- A view for support tooling, kept in public on purpose: the config's per-object-ignores
-- entry for public.auth_audit suppresses ISO001 here (and would be reported if unused).
CREATE VIEW public.auth_audit AS
SELECT id, email, created_at FROM auth.users;
