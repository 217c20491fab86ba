//! Delivery tests against real sockets on 127.0.0.1: a minimal SMTP server and a webhook
//! receiver, both recording what they get.

pub(crate) mod fixtures;
mod smtp_delivery;
mod smtp_sink;
mod webhook_delivery;
mod webhook_receiver;
