-- A booking the checkpoint moved out of a window it closed (see the PostgreSQL migration).
ALTER TABLE bookings ADD COLUMN reslotted_from TEXT;
