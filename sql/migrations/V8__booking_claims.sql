-- Which account a booking belongs to: bookings made by someone signed in through the OpenID
-- Connect provider, or claimed later with their code and manage token. The subject is the
-- provider's `sub`; the organisation is the carrier organisation its claim named, so that the
-- organisation's staff see the booking. A booking has at most one owner.
CREATE TABLE booking_claims (
    booking_id   uuid PRIMARY KEY REFERENCES bookings (id) ON DELETE CASCADE,
    subject      text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    organisation text CHECK (length(organisation) BETWEEN 1 AND 100),
    claimed_at   timestamptz NOT NULL
);
CREATE INDEX booking_claims_by_subject ON booking_claims (subject);
CREATE INDEX booking_claims_by_organisation ON booking_claims (organisation)
    WHERE organisation IS NOT NULL;
-- A carrier organisation also sees the bookings its API keys made: keys are found by name.
CREATE INDEX api_keys_by_name ON api_keys (name);
