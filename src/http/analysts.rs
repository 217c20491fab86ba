//! What the analysts' routes (statistics, the daily report, the forecast) share: each is about
//! one checkpoint named in its query string, and open to analysts and admins.

use std::sync::Arc;

use actix_web::HttpRequest;
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::app::error::ApiError;
use crate::app::input::parse_query;
use crate::app::staff::Staff;
use crate::auth::StaffRole;
use crate::domain::Checkpoint;

/// The query string as `Q`, and the checkpoint that `named` finds in it. The role is checked
/// first, so that a role that may not read these learns nothing about its input.
pub fn checkpoint_query<Q: DeserializeOwned>(
    staff: &Staff,
    request: &HttpRequest,
    state: &AppState,
    named: fn(&Q) -> Option<&str>,
) -> Result<(Q, Arc<Checkpoint>), ApiError> {
    staff.require(&[StaffRole::Analyst, StaffRole::Admin])?;
    let query: Q = parse_query(request.query_string())?;
    let checkpoint = state.checkpoint_in_query(named(&query))?;
    Ok((query, checkpoint))
}
