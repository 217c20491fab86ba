#!/bin/sh
# The broker with RABBITMQ_USER/RABBITMQ_PASSWORD as its one user (the guest user only ever
# works from localhost).
set -eu
cat >/etc/rabbitmq/rabbitmq.conf <<CONF
listeners.tcp.default = 5672
default_user = $RABBITMQ_USER
default_pass = $RABBITMQ_PASSWORD
CONF
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server
