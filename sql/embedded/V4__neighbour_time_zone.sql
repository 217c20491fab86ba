-- The time zone on the other side of the border, shown beside local times where it differs.
ALTER TABLE checkpoints ADD COLUMN neighbour_time_zone TEXT;
