//! Plates barred from booking after repeated no-shows and cancellations: what an operator sees
//! of a plate, and an admin lifting its bar.

use serde::Serialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::staff::{Staff, audit_change};
use crate::auth::StaffRole;
use crate::domain::Plate;
use crate::domain::strikes::Strike;

/// A plate's strikes that still count, and until when it is barred.
#[derive(Debug, Serialize)]
pub struct PlateRecord {
    pub plate: Plate,
    pub strikes: Vec<Strike>,
    pub barred_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// What counts against `plate` now, as an operator or admin.
pub async fn plate_record(
    state: &AppState,
    staff: &Staff,
    plate: Plate,
) -> Result<PlateRecord, ApiError> {
    staff.require(&[StaffRole::Operator, StaffRole::Admin])?;
    let now = state.now();
    let rules = state.bars.rules();
    let strikes = state
        .store
        .strikes_since(now - rules.window - rules.bar)
        .await?
        .into_iter()
        .filter(|strike| strike.plate == plate)
        .collect();
    let barred_until = state.bars.barred_until(&plate, now);
    Ok(PlateRecord {
        plate,
        strikes,
        barred_until,
    })
}

/// Lifts the bar of `plate` on every replica within a minute (at once on this one), as an
/// admin; audited.
pub async fn lift_bar(state: &AppState, staff: &Staff, plate: Plate) -> Result<(), ApiError> {
    staff.require(&[StaffRole::Admin])?;
    let now = state.now();
    let before = state.bars.barred_until(&plate, now);
    state.store.lift_bar(&plate, now, &staff.actor()).await?;
    state.bars.refresh(state.store.as_ref(), now).await?;
    audit_change(
        state,
        staff,
        "plate.lift_bar",
        plate.as_str().to_owned(),
        Some(json!({ "barred_until": before })),
        json!({ "barred_until": null }),
    )
    .await
}
