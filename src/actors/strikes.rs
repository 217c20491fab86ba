//! Strikes and bars (see `domain::strikes`): a consumer records each no-show and each
//! cancellation by the booking's holder against the plate, and `Bars` keeps the plates barred
//! now in memory, so checking a new booking costs no database round trip. Replicas that do
//! not consume events refresh their copy on a timer.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::bus::{EventHandler, HandlerError};
use crate::clock::Clock;
use crate::domain::strikes::{StrikeRules, strike_of};
use crate::domain::{DomainEvent, Plate};
use crate::store::{SlotStore, StoreError};

pub const STRIKES_GROUP: &str = "strikes";

/// Plates barred from new bookings, and until when.
pub struct Bars {
    rules: StrikeRules,
    barred: RwLock<HashMap<String, DateTime<Utc>>>,
}

impl Bars {
    pub fn new(rules: StrikeRules) -> Self {
        Self {
            rules,
            barred: RwLock::new(HashMap::new()),
        }
    }

    pub fn rules(&self) -> StrikeRules {
        self.rules
    }

    /// Until when `plate` may not book, if it is barred at `now`.
    pub fn barred_until(&self, plate: &Plate, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.barred
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(plate.as_str())
            .copied()
            .filter(|until| *until > now)
    }

    /// Recomputes every bar from the stored strikes and lifts.
    pub async fn refresh(
        &self,
        store: &dyn SlotStore,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // A strike older than window + bar cannot bar anyone now.
        let since = now - self.rules.window - self.rules.bar;
        let mut strikes: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
        for strike in store.strikes_since(since).await? {
            strikes
                .entry(strike.plate.as_str().to_owned())
                .or_default()
                .push(strike.at);
        }
        let lifts: HashMap<String, DateTime<Utc>> = store.bar_lifts().await?.into_iter().collect();
        let barred = strikes
            .into_iter()
            .filter_map(|(plate, at)| {
                let until = self
                    .rules
                    .barred_until(&at, lifts.get(&plate).copied(), now)?;
                Some((plate, until))
            })
            .collect();
        *self.barred.write().unwrap_or_else(PoisonError::into_inner) = barred;
        Ok(())
    }
}

pub struct StrikesRecorder {
    store: Arc<dyn SlotStore>,
    clock: Arc<dyn Clock>,
    bars: Arc<Bars>,
}

impl StrikesRecorder {
    pub fn new(store: Arc<dyn SlotStore>, clock: Arc<dyn Clock>, bars: Arc<Bars>) -> Self {
        Self { store, clock, bars }
    }
}

#[async_trait]
impl EventHandler for StrikesRecorder {
    async fn handle(&self, event: &DomainEvent) -> Result<(), HandlerError> {
        let Some(strike) = strike_of(event) else {
            return Ok(());
        };
        if self.store.record_strike(event.id, &strike).await? {
            self.bars
                .refresh(self.store.as_ref(), self.clock.now())
                .await?;
        }
        Ok(())
    }
}
