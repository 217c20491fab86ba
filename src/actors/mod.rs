//! The runtime side of the allocator: one `ScheduleActor` per checkpoint day, found and
//! started by the `ScheduleRegistry`.

pub mod moves;
pub mod registry;
pub mod schedule;

pub use registry::{ActorSettings, ScheduleRegistry};
pub use schedule::{ScheduleActor, ScheduleError};
