//! The runtime side: one `ScheduleActor` per checkpoint day, found and started by the
//! `ScheduleRegistry`, and the data-processing consumers of the events they write.

pub mod answer;
pub mod moves;
pub mod notifications;
pub mod registry;
pub mod schedule;
pub mod statistics;
pub mod strikes;

pub use registry::{ActorSettings, ScheduleRegistry};
pub use schedule::{ScheduleActor, ScheduleError};
