-- Which account a booking belongs to (see the PostgreSQL migration).
CREATE TABLE booking_claims (
    booking_id   TEXT PRIMARY KEY NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    subject      TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    organisation TEXT CHECK (length(organisation) BETWEEN 1 AND 100),
    claimed_at   TEXT NOT NULL
) STRICT;
CREATE INDEX booking_claims_by_subject ON booking_claims (subject);
CREATE INDEX booking_claims_by_organisation ON booking_claims (organisation)
    WHERE organisation IS NOT NULL;
CREATE INDEX api_keys_by_name ON api_keys (name);
