//! Checkpoints and the vocabulary that describes their traffic: directions and vehicle
//! categories. A checkpoint's template says how long its windows are and how many vehicles of
//! each category it serves per window; everything local is in the checkpoint's IANA time zone.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::error::InputError;

/// A checkpoint's stable identifier: a lowercase slug such as `narva`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CheckpointId(String);

impl CheckpointId {
    pub const LENGTH_MAX: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let valid = !raw.is_empty()
            && raw.len() <= Self::LENGTH_MAX
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InputError::new(
                "checkpoint",
                "must be 1-40 characters of a-z, 0-9 and '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CheckpointId {
    type Error = InputError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CheckpointId> for String {
    fn from(value: CheckpointId) -> Self {
        value.0
    }
}

impl fmt::Display for CheckpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which way a vehicle crosses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Entry,
    Exit,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::Entry, Direction::Exit];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Entry => "entry",
            Direction::Exit => "exit",
        }
    }
}

impl FromStr for Direction {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "entry" => Ok(Direction::Entry),
            "exit" => Ok(Direction::Exit),
            _ => Err(InputError::new("direction", "must be 'entry' or 'exit'")),
        }
    }
}

/// Vehicle category; each has its own capacity per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Car,
    Truck,
    Bus,
    Motorcycle,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Car,
        Category::Truck,
        Category::Bus,
        Category::Motorcycle,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Car => "car",
            Category::Truck => "truck",
            Category::Bus => "bus",
            Category::Motorcycle => "motorcycle",
        }
    }
}

impl FromStr for Category {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "car" => Ok(Category::Car),
            "truck" => Ok(Category::Truck),
            "bus" => Ok(Category::Bus),
            "motorcycle" => Ok(Category::Motorcycle),
            _ => Err(InputError::new(
                "category",
                "must be one of car, truck, bus, motorcycle",
            )),
        }
    }
}

/// Places per window for one category: `reserved` of the `capacity` are kept for priority
/// classes and are never offered to the public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCapacity {
    pub capacity: u32,
    pub reserved: u32,
}

/// A border crossing point and its schedule template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub id: CheckpointId,
    pub name: String,
    #[serde(with = "tz_name")]
    pub time_zone: Tz,
    /// The time zone across the border, where drivers may have set their clocks.
    #[serde(default, with = "optional_tz_name")]
    pub neighbour_time_zone: Option<Tz>,
    pub directions: Vec<Direction>,
    pub window_minutes: u32,
    pub capacity: BTreeMap<Category, CategoryCapacity>,
    /// Where the capacity differs from `capacity`: by weekday and hour, and on holidays.
    #[serde(default)]
    pub calendar: Calendar,
    /// When its days open for booking, with a draw around the moment; without one a day can be
    /// booked as soon as it is within the booking horizon.
    #[serde(default)]
    pub opening: Option<super::draw::Opening>,
}

/// Capacity that varies over the week and the year. Rules apply in order (a later one wins
/// where two match); a holiday then scales every category of its day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    #[serde(default)]
    pub rules: Vec<CapacityRule>,
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityRule {
    pub category: Category,
    /// Local weekdays it applies on, Monday = 1 … Sunday = 7; empty for every day.
    #[serde(default)]
    pub weekdays: Vec<u8>,
    /// Local hours of the window start it applies to, `from_hour..to_hour`.
    pub from_hour: u8,
    pub to_hour: u8,
    pub capacity: u32,
    #[serde(default)]
    pub reserved: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    /// Share of the usual places open that day: 0 closes the checkpoint.
    pub capacity_percent: u32,
}

impl Checkpoint {
    /// The places of `category` in a window starting at local `weekday` (1–7) and `hour`, on
    /// `date`.
    pub fn places_at(
        &self,
        category: Category,
        date: NaiveDate,
        weekday: u8,
        hour: u8,
    ) -> Option<CategoryCapacity> {
        let base = *self.capacity.get(&category)?;
        let ruled = self
            .calendar
            .rules
            .iter()
            .rev()
            .find(|rule| {
                rule.category == category
                    && (rule.weekdays.is_empty() || rule.weekdays.contains(&weekday))
                    && (rule.from_hour..rule.to_hour).contains(&hour)
            })
            .map_or(base, |rule| CategoryCapacity {
                capacity: rule.capacity,
                reserved: rule.reserved,
            });
        let percent = self
            .calendar
            .holidays
            .iter()
            .find(|holiday| holiday.date == date)
            .map_or(100, |holiday| holiday.capacity_percent.min(100));
        let scale = |n: u32| (u64::from(n) * u64::from(percent) / 100) as u32;
        let capacity = scale(ruled.capacity);
        Some(CategoryCapacity {
            capacity,
            reserved: scale(ruled.reserved).min(capacity),
        })
    }
}

impl Checkpoint {
    pub fn serves(&self, direction: Direction, category: Category) -> bool {
        self.directions.contains(&direction) && self.capacity.contains_key(&category)
    }
}

mod optional_tz_name {
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tz: &Option<Tz>, s: S) -> Result<S::Ok, S::Error> {
        match tz {
            Some(tz) => s.serialize_some(tz.name()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Tz>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|name| name.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

mod tz_name {
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tz.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}
