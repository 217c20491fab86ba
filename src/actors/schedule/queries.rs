//! What a schedule is asked to read: its windows, one booking, the queue, a plate's booking —
//! answered from memory.

use super::*;

/// The day's windows as memory has them now.
#[derive(Message, Clone)]
#[rtype(result = "Result<Vec<SlotWindow>, ScheduleError>")]
pub struct QueryAvailability;

/// One booking of the day as memory has it now.
#[derive(Message, Clone)]
#[rtype(result = "Result<Option<Booking>, ScheduleError>")]
pub struct GetBooking {
    pub id: BookingId,
}

impl Handler<QueryAvailability> for ScheduleActor {
    type Result = Result<Vec<SlotWindow>, ScheduleError>;

    fn handle(&mut self, _: QueryAvailability, _ctx: &mut Self::Context) -> Self::Result {
        self.last_activity = Instant::now();
        let day = self.day.as_ref().ok_or(ScheduleError::Unavailable)?;
        Ok(day.windows().cloned().collect())
    }
}

/// The day's windows and, per lane, the vehicles checked in and still expected.
#[derive(Message, Clone)]
#[rtype(result = "Result<DayQueue, ScheduleError>")]
pub struct QueryQueue;

pub struct DayQueue {
    pub windows: Vec<SlotWindow>,
    pub lanes: BTreeMap<(Direction, Category), LaneQueue>,
}

impl Handler<QueryQueue> for ScheduleActor {
    type Result = Result<DayQueue, ScheduleError>;

    fn handle(&mut self, _: QueryQueue, _ctx: &mut Self::Context) -> Self::Result {
        self.last_activity = Instant::now();
        let now = self.services.clock.now();
        let day = self.day.as_ref().ok_or(ScheduleError::Unavailable)?;
        Ok(DayQueue {
            windows: day.windows().cloned().collect(),
            lanes: day.queue(now),
        })
    }
}

/// A plate's active booking of the day, as memory has it now.
#[derive(Message, Clone)]
#[rtype(result = "Result<Option<Booking>, ScheduleError>")]
pub struct FindByPlate {
    pub plate: Plate,
    pub direction: Option<Direction>,
}

impl Handler<FindByPlate> for ScheduleActor {
    type Result = Result<Option<Booking>, ScheduleError>;

    fn handle(&mut self, msg: FindByPlate, _ctx: &mut Self::Context) -> Self::Result {
        let day = self.day.as_ref().ok_or(ScheduleError::Unavailable)?;
        Ok(day.active_booking_of(&msg.plate, msg.direction).cloned())
    }
}

impl Handler<GetBooking> for ScheduleActor {
    type Result = Result<Option<Booking>, ScheduleError>;

    fn handle(&mut self, msg: GetBooking, _ctx: &mut Self::Context) -> Self::Result {
        let day = self.day.as_ref().ok_or(ScheduleError::Unavailable)?;
        Ok(day.booking(msg.id).cloned())
    }
}
