-- A booking the checkpoint moved out of a window it closed (block mode move_affected) keeps the
-- start of the window it was in until the driver accepts the new one, moves it or cancels it.
ALTER TABLE bookings ADD COLUMN reslotted_from timestamptz;
