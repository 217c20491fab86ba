# RabbitMQ from Debian's package, for the compose stack on machines that can pull no image
# (where one can, `rabbitmq:3` serves as well). Its one user comes from the environment.
ARG BASE=local/debian:bookworm
FROM ${BASE}
# Debian's point releases replace package versions, so the major version is the pin.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends rabbitmq-server \
    && rm -rf /var/lib/apt/lists/*
COPY rabbitmq-start.sh /usr/local/bin/rabbitmq-start
# Metrics for Prometheus on port 15692 (the monitor profile scrapes them); the plugin ships with
# the broker and costs little when nobody scrapes.
RUN echo '[rabbitmq_prometheus].' >/etc/rabbitmq/enabled_plugins
ENV RABBITMQ_NODENAME=rabbit@localhost HOME=/var/lib/rabbitmq
VOLUME ["/var/lib/rabbitmq"]
EXPOSE 5672 15692
HEALTHCHECK --interval=2s --timeout=5s --retries=60 CMD ["rabbitmq-diagnostics", "-q", "check_port_connectivity"]
ENTRYPOINT ["/usr/local/bin/rabbitmq-start"]
