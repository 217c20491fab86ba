#!/bin/sh
# Dumps the database (PGHOST, PGUSER, PGPASSWORD, PGDATABASE from the environment) into
# BACKUP_DIR in pg_restore's custom format at start and then every BACKUP_INTERVAL_SECONDS,
# keeping the newest BACKUP_KEEP dumps. A dump is written under a temporary name and renamed
# once complete, so a half-written file is never taken for a backup nor counted as one.
set -eu
interval="${BACKUP_INTERVAL_SECONDS:-86400}"
keep="${BACKUP_KEEP:-7}"
dir="${BACKUP_DIR:-/backups}"
case "$interval$keep" in
*[!0-9]* | "") echo "BACKUP_INTERVAL_SECONDS and BACKUP_KEEP must be whole numbers" >&2; exit 2 ;;
esac
[ "$interval" -ge 1 ] && [ "$keep" -ge 1 ] || { echo "BACKUP_INTERVAL_SECONDS and BACKUP_KEEP must be at least 1" >&2; exit 2; }
# As the container's first process the shell would ignore SIGTERM and wait out docker's timeout.
trap 'exit 0' TERM INT
while :; do
    name="$dir/${PGDATABASE}-$(date -u +%Y%m%dT%H%M%SZ).dump"
    if pg_dump --format=custom --file="$name.partial"; then
        mv "$name.partial" "$name"
        echo "backup $name ($(wc -c <"$name") bytes)"
    else
        rm -f "$name.partial"
        echo "backup of $PGDATABASE failed; next attempt in $interval s" >&2
    fi
    # The names sort by time, newest last.
    find "$dir" -maxdepth 1 -name '*.dump' | sort | head -n "-$keep" | while read -r old; do
        rm -f "$old" && echo "removed $old"
    done
    sleep "$interval" &
    wait $!
done
