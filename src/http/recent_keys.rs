//! The idempotency keys this process answered lately: a hint, not a record.
//!
//! A retry whose key is remembered here is looked up in the store before any work is done. A
//! key that is not (forgotten, or answered by another replica) is still safe: its retry is
//! refused at its commit, or by its own first attempt's effect, and then looked up. So the set
//! needs no expiry and no exact bound, only to be cheap on every keyed request: it keeps two
//! generations per shard, and when the newer one is full the older one is dropped whole.

use std::collections::HashSet;
use std::sync::Mutex;

use uuid::Uuid;

const SHARDS: usize = 16;

pub struct RecentKeys {
    shards: [Mutex<Generations>; SHARDS],
    generation_max: usize,
}

#[derive(Default)]
struct Generations {
    newer: HashSet<Uuid>,
    older: HashSet<Uuid>,
}

impl RecentKeys {
    /// Remembers at least the last `at_least` keys (evenly spread over the shards, as key ids
    /// are digests) and at most twice as many.
    pub fn new(at_least: usize) -> Self {
        Self {
            shards: std::array::from_fn(|_| Mutex::default()),
            generation_max: at_least.div_ceil(SHARDS).max(1),
        }
    }

    pub fn remember(&self, key: Uuid) {
        let mut shard = self.shard(key);
        if shard.newer.len() >= self.generation_max {
            shard.older = std::mem::take(&mut shard.newer);
        }
        shard.newer.insert(key);
    }

    pub fn contains(&self, key: Uuid) -> bool {
        let shard = self.shard(key);
        shard.newer.contains(&key) || shard.older.contains(&key)
    }

    fn shard(&self, key: Uuid) -> std::sync::MutexGuard<'_, Generations> {
        let index = usize::from(key.as_bytes()[0]) % SHARDS;
        // A panic while holding a shard cannot leave a set half-changed in a way that matters
        // to a hint.
        self.shards[index]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_keys_are_remembered_and_the_oldest_forgotten() {
        let recent = RecentKeys::new(SHARDS * 4);
        // Spread over the shards in turn, as digests are on average.
        let keys: Vec<Uuid> = (0..SHARDS * 40)
            .map(|n| {
                let mut bytes = [0u8; 16];
                bytes[0] = (n % SHARDS) as u8;
                bytes[8..].copy_from_slice(&(n as u64).to_be_bytes());
                Uuid::from_bytes(bytes)
            })
            .collect();
        for key in &keys {
            recent.remember(*key);
        }

        // Each shard keeps its newest 4 to 8 keys: the last 4 of each are there, the first
        // ones long gone.
        for key in &keys[keys.len() - SHARDS * 4..] {
            assert!(recent.contains(*key));
        }
        let first_kept = keys[..SHARDS * 4]
            .iter()
            .filter(|key| recent.contains(**key))
            .count();
        assert_eq!(first_kept, 0);
        assert!(!recent.contains(Uuid::from_u128(u128::MAX)));
    }
}
