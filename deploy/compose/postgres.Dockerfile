# PostgreSQL 15 from Debian's packages, for the compose stack on machines that can pull no image
# (where one can, `postgres:15` serves as well). The cluster is made on first start in the
# volume, with the owner and password from the environment.
ARG BASE=local/debian:bookworm
FROM ${BASE}
# Debian's point releases replace package versions, so the major version is the pin.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/*
COPY postgres-start.sh /usr/local/bin/postgres-start
COPY postgres-backup.sh /usr/local/bin/postgres-backup
# Owned by postgres before it becomes a volume, so a new named volume starts out as its.
RUN install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/data /backups
# The package makes the postgres user with whatever uid is free; the name is what is stable.
# hadolint ignore=DL3066
USER postgres
ENV PGDATA=/var/lib/postgresql/data
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
HEALTHCHECK --interval=2s --timeout=2s --retries=30 CMD ["pg_isready", "-h", "127.0.0.1", "-p", "5432"]
ENTRYPOINT ["/usr/local/bin/postgres-start"]
