//! `AnswerTicket`: how an idempotent request's answer travels with its change.
//!
//! The front end knows how to phrase an answer; the schedule actor knows the decision it is
//! the answer to, and the batch it commits in. The ticket carries the front end's renderer into
//! the actor, which renders and seals the answer as soon as it has decided (while the previous
//! batch is still being written, so the day's serial stream of writes never waits for it), and
//! its record goes into the batch that carries the decision.
//! The front end then sends exactly what was stored, so a replay is byte for byte the first
//! answer.

use std::any::Any;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::store::{AnswerRecord, AnswerSeal, KeyClaim, StoredResponse};

type Render = dyn Fn(&dyn Any) -> Option<StoredResponse> + Send + Sync;

/// Whatever the front end keeps taken while the request's change is pending (its claim on the
/// key); the actor holds it until the batch carrying the change is durable or refused.
pub type Held = Arc<dyn Any + Send + Sync>;

#[derive(Clone)]
pub struct AnswerTicket {
    claim: Arc<KeyClaim>,
    created_at: DateTime<Utc>,
    seal: AnswerSeal,
    render: Arc<Render>,
    /// The answer of the latest decision that rendered one; an attempt decided again after a
    /// refused batch replaces it.
    rendered: Arc<Mutex<Option<StoredResponse>>>,
    held: Option<Held>,
}

impl std::fmt::Debug for AnswerTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerTicket")
            .field("scope", &self.claim.scope)
            .field("key", &self.claim.key)
            .finish_non_exhaustive()
    }
}

impl AnswerTicket {
    /// A ticket whose answer is `render` of a value of type `O`.
    pub fn new<O: 'static>(
        claim: KeyClaim,
        created_at: DateTime<Utc>,
        seal: AnswerSeal,
        render: impl Fn(&O) -> Option<StoredResponse> + Send + Sync + 'static,
    ) -> Self {
        Self {
            claim: Arc::new(claim),
            created_at,
            seal,
            render: Arc::new(move |value: &dyn Any| value.downcast_ref::<O>().and_then(&render)),
            rendered: Arc::default(),
            held: None,
        }
    }

    /// The same ticket, keeping `held` alive for as long as a change it decided is pending.
    pub fn holding(self, held: Held) -> Self {
        Self {
            held: Some(held),
            ..self
        }
    }

    /// The same ticket for a step that decides an `I`, which `to_answered` turns into the value
    /// the answer is phrased from.
    pub fn adapt<I: 'static, O: 'static>(
        self,
        to_answered: impl Fn(&I) -> O + Send + Sync + 'static,
    ) -> Self {
        let outer = self.render.clone();
        Self {
            render: Arc::new(move |value: &dyn Any| {
                let input = value.downcast_ref::<I>()?;
                outer(&to_answered(input) as &dyn Any)
            }),
            ..self
        }
    }

    pub fn claim(&self) -> &KeyClaim {
        &self.claim
    }

    /// Renders the answer to `value` and returns it sealed for the store; `None` when the
    /// ticket is for another type of value (a wiring mistake, logged) or it cannot be phrased.
    pub fn record(&self, value: &dyn Any) -> Option<AnswerRecord> {
        let Some(plain) = (self.render)(value) else {
            tracing::error!(key = %self.claim.key, "an idempotent answer could not be rendered; it is not stored");
            return None;
        };
        let record = self.seal.record(&self.claim, self.created_at, &plain);
        *self.rendered.lock().unwrap_or_else(|e| e.into_inner()) = Some(plain);
        Some(record)
    }

    /// The answer last rendered for the store, taken to be sent now.
    pub fn take_rendered(&self) -> Option<StoredResponse> {
        self.rendered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

/// A decision of an idempotent request whose answer is still to be phrased.
pub struct DecidedAnswer {
    ticket: AnswerTicket,
    value: Box<dyn Any + Send>,
}

impl DecidedAnswer {
    pub fn new<T: Send + 'static>(ticket: AnswerTicket, value: T) -> Self {
        Self {
            ticket,
            value: Box::new(value),
        }
    }

    pub fn key(&self) -> uuid::Uuid {
        self.ticket.claim.id()
    }

    /// What the request keeps taken while this decision's change is pending.
    pub fn held(&self) -> Option<Held> {
        self.ticket.held.clone()
    }

    pub fn record(self) -> Option<AnswerRecord> {
        self.ticket.record(self.value.as_ref())
    }
}
