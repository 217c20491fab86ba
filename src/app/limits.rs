//! Per-client limits (GCRA, through `governor`): a request rate for every API call, and a
//! rate of new bookings per hold lifetime, so one address can neither flood the service nor
//! keep a day's windows held without booking them. Over a limit: `429` with `Retry-After`.
//! The request rate is applied to every request by `routes::limits`.
//! Rejections are counted by limit, never by address (a label per address would let anyone
//! grow the metrics without bound).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use super::error::ApiError;
use crate::auth::ApiKey;
use crate::config::ClientLimits;
use crate::metrics::prometheus::RATE_LIMITED;

pub struct Limits {
    requests: Option<DefaultKeyedRateLimiter<IpAddr>>,
    holds: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// One limiter per carrier key, each with that key's own rate.
    per_key: DashMap<Uuid, DefaultDirectRateLimiter>,
}

impl Limits {
    pub fn new(limits: ClientLimits, hold_ttl: Duration) -> Self {
        let requests = NonZeroU32::new(limits.requests_per_second).map(|rate| {
            let burst =
                NonZeroU32::new(limits.burst.max(limits.requests_per_second)).unwrap_or(rate);
            DefaultKeyedRateLimiter::dashmap(Quota::per_second(rate).allow_burst(burst))
        });
        let holds = NonZeroU32::new(limits.holds_per_hold_ttl).and_then(|count| {
            let period = hold_ttl / count.get();
            Quota::with_period(period)
                .map(|quota| DefaultKeyedRateLimiter::dashmap(quota.allow_burst(count)))
        });
        Self {
            requests,
            holds,
            per_key: DashMap::new(),
        }
    }

    fn check(
        limiter: Option<&DefaultKeyedRateLimiter<IpAddr>>,
        client: IpAddr,
        limit: &'static str,
    ) -> Result<(), ApiError> {
        let Some(limiter) = limiter else {
            return Ok(());
        };
        limiter.check_key(&client).map_err(|not_until| {
            metrics::counter!(RATE_LIMITED, "limit" => limit).increment(1);
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::TooManyRequests(wait.as_secs_f64().ceil().max(1.0) as u64)
        })
    }

    /// Counts a request against the carrier key's own rate.
    pub fn check_key(&self, key: &ApiKey) -> Result<(), ApiError> {
        let rate = NonZeroU32::new(key.requests_per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(key.burst.max(key.requests_per_second)).unwrap_or(rate);
        let limiter = self
            .per_key
            .entry(key.id)
            .or_insert_with(|| RateLimiter::direct(Quota::per_second(rate).allow_burst(burst)));
        limiter.check().map_err(|not_until| {
            metrics::counter!(RATE_LIMITED, "limit" => "api_key").increment(1);
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::TooManyRequests(wait.as_secs_f64().ceil().max(1.0) as u64)
        })
    }

    /// Counts a request of `client` against its address's request rate.
    pub fn check_request(&self, client: IpAddr) -> Result<(), ApiError> {
        Self::check(self.requests.as_ref(), client, "requests")
    }

    /// Counts a new booking of `client` against its holds limit.
    pub fn check_new_booking(&self, client: Option<IpAddr>) -> Result<(), ApiError> {
        match client {
            Some(client) => Self::check(self.holds.as_ref(), client, "holds"),
            None => Ok(()),
        }
    }

    /// Forgets clients that have been quiet long enough to be back at a full allowance.
    pub fn forget_idle_clients(&self) {
        for limiter in [&self.requests, &self.holds].into_iter().flatten() {
            limiter.retain_recent();
        }
    }
}
