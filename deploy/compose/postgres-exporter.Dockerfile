# The PostgreSQL exporter from Debian's package, for the compose stack's monitor profile on
# machines that can pull no image. DATA_SOURCE_NAME (from the environment) says what to watch.
ARG BASE=local/debian:bookworm
FROM ${BASE}
# Debian's point releases replace package versions, so the release is the pin.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends prometheus-postgres-exporter \
    && rm -rf /var/lib/apt/lists/*
COPY postgres-exporter-queries.yaml /etc/prometheus-postgres-exporter/queries.yaml
# The package makes the prometheus user with whatever uid is free; the name is what is stable.
# hadolint ignore=DL3066
USER prometheus
EXPOSE 9187
ENTRYPOINT ["/usr/bin/prometheus-postgres-exporter", "--web.listen-address=:9187", \
    "--extend.query-path=/etc/prometheus-postgres-exporter/queries.yaml"]
