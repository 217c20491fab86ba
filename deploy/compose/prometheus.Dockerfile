# Prometheus from Debian's package, for the compose stack's monitor profile on machines that can
# pull no image. Built with deploy/ as the context, so that the alert rules are the Kubernetes
# monitoring component's own file rather than a copy; the build fails when the configuration or
# the extracted rules do not pass promtool.
ARG BASE=local/debian:bookworm
FROM ${BASE}
# Debian's point releases replace package versions, so the release is the pin.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends prometheus \
    && rm -rf /var/lib/apt/lists/*
COPY compose/prometheus.yml compose/prometheus-rules.sed /etc/prometheus/
COPY k8s/components/monitoring/alert-rules.yaml /etc/prometheus/alert-rules.yaml
RUN sed -f /etc/prometheus/prometheus-rules.sed /etc/prometheus/alert-rules.yaml \
        >/etc/prometheus/borderslot-rules.yaml \
    && promtool check config /etc/prometheus/prometheus.yml
# The package makes the prometheus user with whatever uid is free; the name is what is stable.
# hadolint ignore=DL3066
USER prometheus
VOLUME ["/var/lib/prometheus"]
EXPOSE 9090
HEALTHCHECK --interval=5s --timeout=3s --retries=12 CMD ["promtool", "query", "instant", "http://127.0.0.1:9090", "vector(1)"]
ENTRYPOINT ["/usr/bin/prometheus", "--config.file=/etc/prometheus/prometheus.yml", \
    "--storage.tsdb.path=/var/lib/prometheus/metrics2", "--storage.tsdb.retention.time=15d", \
    "--web.listen-address=:9090"]
