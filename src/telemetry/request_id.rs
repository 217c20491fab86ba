//! The id of the HTTP request a task serves, kept beside the task so that code far below the
//! handler (the schedule actors stamping events) can name the request that caused its work.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the HTTP request this task serves, if it serves one.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `work` as the task serving the request `id`.
pub async fn serving<F: Future>(id: String, work: F) -> F::Output {
    REQUEST_ID.scope(id, work).await
}
