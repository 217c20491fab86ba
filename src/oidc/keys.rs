//! The provider's signing keys, kept in memory and fetched again when a token names a key id
//! not among them: that is how a key rotation reaches this service. Fetches for unknown keys
//! are at least `refetch_min` apart, so tokens with invented key ids cannot make this service
//! flood the provider; one request fetches while the others wait for its result.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;
use serde_json::Value;

use super::fetch::get_json;

#[derive(Default)]
struct Fetched {
    keys: Arc<Vec<Jwk>>,
    at: Option<Instant>,
}

pub struct KeyCache {
    fetched: RwLock<Fetched>,
    fetching: tokio::sync::Mutex<()>,
    refetch_min: Duration,
}

#[derive(Deserialize)]
struct KeySetDocument {
    keys: Vec<Value>,
}

impl KeyCache {
    pub fn new(refetch_min: Duration) -> Self {
        Self {
            fetched: RwLock::default(),
            fetching: tokio::sync::Mutex::new(()),
            refetch_min,
        }
    }

    fn read(&self) -> (Arc<Vec<Jwk>>, Option<Instant>) {
        let fetched = self
            .fetched
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (fetched.keys.clone(), fetched.at)
    }

    /// The keys as last fetched, fetched first if they never were.
    pub async fn current(
        &self,
        jwks_uri: &str,
        timeout: Duration,
    ) -> anyhow::Result<Arc<Vec<Jwk>>> {
        let (keys, at) = self.read();
        if at.is_some() {
            return Ok(keys);
        }
        self.refetch(jwks_uri, timeout, None).await
    }

    /// Fetches the keys again unless that was done less than `refetch_min` ago, or was done
    /// by another request since `seen` (the fetch time the caller's keys came from).
    pub async fn refetch(
        &self,
        jwks_uri: &str,
        timeout: Duration,
        seen: Option<Instant>,
    ) -> anyhow::Result<Arc<Vec<Jwk>>> {
        let _fetching = self.fetching.lock().await;
        let (keys, at) = self.read();
        if let Some(at) = at
            && (at.elapsed() < self.refetch_min || Some(at) != seen)
        {
            return Ok(keys);
        }
        let document: KeySetDocument = get_json(jwks_uri, timeout).await?;
        // A key of a type this service cannot read is skipped, not a reason to refuse them all.
        let keys: Vec<Jwk> = document
            .keys
            .into_iter()
            .filter_map(|key| serde_json::from_value(key).ok())
            .collect();
        let keys = Arc::new(keys);
        *self
            .fetched
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Fetched {
            keys: keys.clone(),
            at: Some(Instant::now()),
        };
        Ok(keys)
    }

    /// When the keys in memory were fetched.
    pub fn fetched_at(&self) -> Option<Instant> {
        self.read().1
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use actix_web::{App, HttpResponse, HttpServer, web};

    use super::*;

    /// A key-set endpoint on loopback that counts how often it is asked.
    async fn serve_keys() -> (String, Arc<AtomicUsize>, actix_web::dev::ServerHandle) {
        let asked = Arc::new(AtomicUsize::new(0));
        let counter = asked.clone();
        let server = HttpServer::new(move || {
            let counter = counter.clone();
            App::new().route(
                "/jwks",
                web::get().to(move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                    async {
                        HttpResponse::Ok().json(serde_json::json!({"keys": [
                            {"kty": "OKP", "crv": "Ed25519", "kid": "a",
                             "x": "VBOoDemN_9P-Oq937_1DZCahw_NHqLVzVnIOF5PdBII"},
                        ]}))
                    }
                }),
            )
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let url = format!("http://{}/jwks", server.addrs()[0]);
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        (url, asked, handle)
    }

    #[actix_web::test]
    async fn unknown_key_ids_fetch_the_keys_again_at_most_once_per_interval() {
        let (url, asked, server) = serve_keys().await;
        let timeout = Duration::from_secs(5);
        let cache = KeyCache::new(Duration::from_secs(3600));
        let keys = cache.current(&url, timeout).await.unwrap();
        assert_eq!(keys.len(), 1);
        let seen = cache.fetched_at();
        for _ in 0..5 {
            cache.refetch(&url, timeout, seen).await.unwrap();
            cache.current(&url, timeout).await.unwrap();
        }
        assert_eq!(asked.load(Ordering::SeqCst), 1);

        let eager = KeyCache::new(Duration::ZERO);
        eager.current(&url, timeout).await.unwrap();
        let seen = eager.fetched_at();
        eager.refetch(&url, timeout, seen).await.unwrap();
        // Another request that saw the old set finds the new one without fetching again.
        eager.refetch(&url, timeout, seen).await.unwrap();
        assert_eq!(asked.load(Ordering::SeqCst), 3);
        server.stop(true).await;
    }
}
