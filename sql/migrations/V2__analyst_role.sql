-- A read-only role for analysts, created once per cluster, but only when the migrating user may
-- create roles: a database owner on a managed service may not, and migrating must not need more
-- than owning the database. Without the role the grants are skipped (see sql/grants/analyst.sql,
-- applied after the migrations when the role exists) and an administrator can add it later with
-- `borderslot grant-analyst`.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'analyst') THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles
                   WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
        RAISE NOTICE 'role analyst not created: % may not create roles', current_user
            USING HINT = 'An administrator can add it with `borderslot grant-analyst`.';
        RETURN;
    END IF;
    CREATE ROLE analyst NOLOGIN;
EXCEPTION
    -- Databases of one cluster migrated at once race to create the role; the advisory lock
    -- serialises runs per database only.
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END
$$;
