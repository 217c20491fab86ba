//! The daily report of one checkpoint: for one local date, how full its windows were next to
//! what happened to its bookings.
//!
//! Pure: it shapes two aggregates the caller reads from the store, the windows added up per
//! direction, category and local hour ([`WindowTotals`]) and the day's statistics rows (counted
//! from the events). Occupancy comes from the windows as they stand when the report is built;
//! booking counts come from the statistics.
//!
//! Invariants: every line is the sum of the finer lines it covers (the day of its categories,
//! of its direction × category lines and of its hours); `taken = held + confirmed`; utilisation
//! is `taken / capacity` in percent, over every window including blocked ones, and absent where
//! there is no capacity. The statistics keep no direction, so direction × category lines carry
//! occupancy only. Hours are local: a spring-forward day has no line for the skipped hour, and
//! the repeated hour of a fall-back day holds the windows and bookings of both.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::statistics::{BookingCounts, StatisticsDelta, WindowTotals};
use crate::domain::{Category, Checkpoint, CheckpointId, Direction};

/// How full a set of windows is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Occupancy {
    pub windows: u32,
    pub blocked_windows: u32,
    pub capacity: u64,
    pub held: u64,
    pub confirmed: u64,
    /// Places the public or priority classes hold or have confirmed.
    pub taken: u64,
    /// `taken / capacity` in percent, to two decimals; `None` without capacity.
    pub utilisation_percent: Option<f64>,
}

impl Occupancy {
    fn add(&mut self, totals: &WindowTotals) {
        self.windows += totals.windows;
        self.blocked_windows += totals.blocked_windows;
        self.capacity += totals.capacity;
        self.held += totals.held;
        self.confirmed += totals.confirmed;
        self.taken = self.held + self.confirmed;
        self.utilisation_percent =
            (self.capacity > 0).then(|| round2(100.0 * self.taken as f64 / self.capacity as f64));
    }
}

/// What happened to the bookings of a set of windows, as the statistics counted it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BookingSummary {
    pub holds: i64,
    pub confirmations: i64,
    pub cancellations: i64,
    pub expiries: i64,
    pub no_shows: i64,
    pub arrivals: i64,
    pub reschedules: i64,
    /// Mean time from confirmation to the window's start, to two decimals; `None` without
    /// confirmations.
    pub mean_lead_time_hours: Option<f64>,
}

impl From<&BookingCounts> for BookingSummary {
    fn from(counts: &BookingCounts) -> Self {
        Self {
            holds: counts.holds,
            confirmations: counts.confirmations,
            cancellations: counts.cancellations,
            expiries: counts.expiries,
            no_shows: counts.no_shows,
            arrivals: counts.arrivals,
            reschedules: counts.reschedules,
            mean_lead_time_hours: counts.mean_lead_time_hours().map(round2),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DayLine {
    #[serde(flatten)]
    pub occupancy: Occupancy,
    #[serde(flatten)]
    pub bookings: BookingSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CategoryLine {
    pub category: Category,
    #[serde(flatten)]
    pub occupancy: Occupancy,
    #[serde(flatten)]
    pub bookings: BookingSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DirectionCategoryLine {
    pub direction: Direction,
    pub category: Category,
    #[serde(flatten)]
    pub occupancy: Occupancy,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HourLine {
    /// Local hour (0–23) the windows start in.
    #[schema(maximum = 23)]
    pub hour: u8,
    #[serde(flatten)]
    pub occupancy: Occupancy,
    #[serde(flatten)]
    pub bookings: BookingSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DailyReport {
    pub checkpoint: CheckpointId,
    pub name: String,
    /// The checkpoint's local date.
    pub date: NaiveDate,
    pub time_zone: String,
    pub day: DayLine,
    /// In category order (car, truck, bus, motorcycle).
    pub categories: Vec<CategoryLine>,
    /// By direction, then category.
    pub lines: Vec<DirectionCategoryLine>,
    /// In hour order; only hours with windows or bookings.
    pub hours: Vec<HourLine>,
}

impl DailyReport {
    /// The report of `checkpoint` on `date` from that day's window totals and statistics rows.
    /// Rows of another day are ignored.
    pub fn build(
        checkpoint: &Checkpoint,
        date: NaiveDate,
        windows: &[WindowTotals],
        statistics: &[StatisticsDelta],
    ) -> Self {
        let statistics: Vec<&StatisticsDelta> = statistics
            .iter()
            .filter(|row| row.key.day == date && row.key.checkpoint == checkpoint.id)
            .collect();

        let mut day = Tally::default();
        let mut categories: BTreeMap<Category, Tally> = BTreeMap::new();
        let mut lines: BTreeMap<(Direction, Category), Occupancy> = BTreeMap::new();
        let mut hours: BTreeMap<u8, Tally> = BTreeMap::new();
        for totals in windows {
            day.occupancy.add(totals);
            categories
                .entry(totals.category)
                .or_default()
                .occupancy
                .add(totals);
            lines
                .entry((totals.direction, totals.category))
                .or_default()
                .add(totals);
            hours.entry(totals.hour).or_default().occupancy.add(totals);
        }
        for row in statistics {
            day.counts.add(&row.counts);
            categories
                .entry(row.key.category)
                .or_default()
                .counts
                .add(&row.counts);
            hours
                .entry(row.key.hour)
                .or_default()
                .counts
                .add(&row.counts);
        }

        Self {
            checkpoint: checkpoint.id.clone(),
            name: checkpoint.name.clone(),
            date,
            time_zone: checkpoint.time_zone.name().to_owned(),
            day: DayLine {
                occupancy: day.occupancy,
                bookings: (&day.counts).into(),
            },
            categories: Tally::lines(categories, |category, occupancy, bookings| CategoryLine {
                category,
                occupancy,
                bookings,
            }),
            lines: lines
                .into_iter()
                .map(|((direction, category), occupancy)| DirectionCategoryLine {
                    direction,
                    category,
                    occupancy,
                })
                .collect(),
            hours: Tally::lines(hours, |hour, occupancy, bookings| HourLine {
                hour,
                occupancy,
                bookings,
            }),
        }
    }

    /// `<checkpoint>-<date>`, the name of the report's files without their extension.
    pub fn file_stem(&self) -> String {
        file_stem(&self.checkpoint, self.date)
    }

    /// The report as one CSV table: a `section` column says what a row adds up (`day`,
    /// `category`, `direction_category` or `hour`), and cells that do not apply to a section
    /// are empty.
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let row = |section: &'static str| CsvRow {
            checkpoint: self.checkpoint.as_str(),
            date: self.date,
            section,
            direction: None,
            category: None,
            hour: None,
            occupancy: Occupancy::default(),
            bookings: None,
        };
        writer.serialize(
            CsvRow {
                occupancy: self.day.occupancy,
                bookings: Some(self.day.bookings),
                ..row("day")
            }
            .flat(),
        )?;
        for line in &self.categories {
            writer.serialize(
                CsvRow {
                    category: Some(line.category),
                    occupancy: line.occupancy,
                    bookings: Some(line.bookings),
                    ..row("category")
                }
                .flat(),
            )?;
        }
        for line in &self.lines {
            writer.serialize(
                CsvRow {
                    direction: Some(line.direction),
                    category: Some(line.category),
                    occupancy: line.occupancy,
                    ..row("direction_category")
                }
                .flat(),
            )?;
        }
        for line in &self.hours {
            writer.serialize(
                CsvRow {
                    hour: Some(line.hour),
                    occupancy: line.occupancy,
                    bookings: Some(line.bookings),
                    ..row("hour")
                }
                .flat(),
            )?;
        }
        writer
            .into_inner()
            .map_err(|error| error.into_error().into())
    }
}

/// What the windows and the statistics rows of one line add up to while the report is built.
#[derive(Default)]
struct Tally {
    occupancy: Occupancy,
    counts: BookingCounts,
}

impl Tally {
    /// The report's lines, in key order, from the tallies kept per key.
    fn lines<K, L>(
        tallies: BTreeMap<K, Tally>,
        line: impl Fn(K, Occupancy, BookingSummary) -> L,
    ) -> Vec<L> {
        tallies
            .into_iter()
            .map(|(key, tally)| line(key, tally.occupancy, (&tally.counts).into()))
            .collect()
    }
}

/// `<checkpoint>-<date>`, the name of a daily report's files without their extension.
pub fn file_stem(checkpoint: &CheckpointId, date: NaiveDate) -> String {
    format!("{checkpoint}-{date}")
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// One row of the CSV before flattening (the `csv` crate cannot flatten nested structs).
struct CsvRow<'a> {
    checkpoint: &'a str,
    date: NaiveDate,
    section: &'static str,
    direction: Option<Direction>,
    category: Option<Category>,
    hour: Option<u8>,
    occupancy: Occupancy,
    bookings: Option<BookingSummary>,
}

/// The CSV columns, in order; the header is their names.
#[derive(Serialize)]
struct FlatCsvRow<'a> {
    checkpoint: &'a str,
    date: NaiveDate,
    section: &'static str,
    direction: Option<Direction>,
    category: Option<Category>,
    hour: Option<u8>,
    windows: u32,
    blocked_windows: u32,
    capacity: u64,
    held: u64,
    confirmed: u64,
    taken: u64,
    utilisation_percent: Option<f64>,
    holds: Option<i64>,
    confirmations: Option<i64>,
    cancellations: Option<i64>,
    expiries: Option<i64>,
    no_shows: Option<i64>,
    arrivals: Option<i64>,
    reschedules: Option<i64>,
    mean_lead_time_hours: Option<f64>,
}

impl<'a> CsvRow<'a> {
    fn flat(self) -> FlatCsvRow<'a> {
        let Occupancy {
            windows,
            blocked_windows,
            capacity,
            held,
            confirmed,
            taken,
            utilisation_percent,
        } = self.occupancy;
        let bookings = self.bookings;
        FlatCsvRow {
            checkpoint: self.checkpoint,
            date: self.date,
            section: self.section,
            direction: self.direction,
            category: self.category,
            hour: self.hour,
            windows,
            blocked_windows,
            capacity,
            held,
            confirmed,
            taken,
            utilisation_percent,
            holds: bookings.map(|b| b.holds),
            confirmations: bookings.map(|b| b.confirmations),
            cancellations: bookings.map(|b| b.cancellations),
            expiries: bookings.map(|b| b.expiries),
            no_shows: bookings.map(|b| b.no_shows),
            arrivals: bookings.map(|b| b.arrivals),
            reschedules: bookings.map(|b| b.reschedules),
            mean_lead_time_hours: bookings.and_then(|b| b.mean_lead_time_hours),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::statistics::StatisticsKey;
    use crate::seed::demo_checkpoints;

    fn narva() -> Checkpoint {
        demo_checkpoints().remove(0)
    }

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 21).unwrap()
    }

    fn windows(
        direction: Direction,
        category: Category,
        hour: u8,
        taken: (u64, u64),
    ) -> WindowTotals {
        WindowTotals {
            direction,
            category,
            hour,
            windows: 1,
            blocked_windows: 0,
            capacity: 40,
            held: taken.0,
            confirmed: taken.1,
        }
    }

    fn statistics(hour: u8, category: Category, counts: BookingCounts) -> StatisticsDelta {
        StatisticsDelta {
            key: StatisticsKey {
                checkpoint: narva().id,
                day: date(),
                hour,
                category,
            },
            counts,
        }
    }

    fn sample() -> DailyReport {
        let blocked = WindowTotals {
            blocked_windows: 1,
            ..windows(Direction::Exit, Category::Truck, 9, (0, 0))
        };
        DailyReport::build(
            &narva(),
            date(),
            &[
                windows(Direction::Entry, Category::Car, 8, (1, 3)),
                windows(Direction::Exit, Category::Car, 8, (0, 2)),
                windows(Direction::Entry, Category::Car, 9, (0, 10)),
                blocked,
            ],
            &[
                statistics(
                    8,
                    Category::Car,
                    BookingCounts {
                        holds: 6,
                        confirmations: 5,
                        cancellations: 1,
                        lead_time_seconds: 5 * 7200,
                        lead_times: 5,
                        ..BookingCounts::default()
                    },
                ),
                statistics(
                    9,
                    Category::Car,
                    BookingCounts {
                        holds: 10,
                        confirmations: 10,
                        lead_time_seconds: 10 * 3600,
                        lead_times: 10,
                        ..BookingCounts::default()
                    },
                ),
            ],
        )
    }

    #[test]
    fn the_day_adds_up_every_window_and_every_statistics_row() {
        let report = sample();

        let day = &report.day;
        assert_eq!(day.occupancy.windows, 4);
        assert_eq!(day.occupancy.blocked_windows, 1);
        assert_eq!(day.occupancy.capacity, 160);
        assert_eq!(day.occupancy.taken, 16);
        assert_eq!(day.occupancy.utilisation_percent, Some(10.0));
        assert_eq!(day.bookings.holds, 16);
        assert_eq!(day.bookings.confirmations, 15);
        assert_eq!(day.bookings.cancellations, 1);
        // (5 × 2 h + 10 × 1 h) / 15 confirmations.
        assert_eq!(day.bookings.mean_lead_time_hours, Some(1.33));
    }

    #[test]
    fn lines_split_by_direction_and_category_and_hours_by_local_hour() {
        let report = sample();

        let lines: Vec<(Direction, Category, u64)> = report
            .lines
            .iter()
            .map(|l| (l.direction, l.category, l.occupancy.taken))
            .collect();
        assert_eq!(
            lines,
            [
                (Direction::Entry, Category::Car, 14),
                (Direction::Exit, Category::Car, 2),
                (Direction::Exit, Category::Truck, 0),
            ]
        );
        let categories: Vec<(Category, u64, i64)> = report
            .categories
            .iter()
            .map(|l| (l.category, l.occupancy.taken, l.bookings.confirmations))
            .collect();
        assert_eq!(
            categories,
            [(Category::Car, 16, 15), (Category::Truck, 0, 0)]
        );
        let hours: Vec<(u8, u32, u64, i64)> = report
            .hours
            .iter()
            .map(|h| {
                (
                    h.hour,
                    h.occupancy.windows,
                    h.occupancy.taken,
                    h.bookings.holds,
                )
            })
            .collect();
        assert_eq!(hours, [(8, 2, 6, 6), (9, 2, 10, 10)]);
        assert_eq!(report.hours[1].occupancy.utilisation_percent, Some(12.5));
    }

    #[test]
    fn a_day_without_windows_has_no_utilisation_and_no_lines() {
        let report = DailyReport::build(&narva(), date(), &[], &[]);

        assert_eq!(report.day.occupancy.utilisation_percent, None);
        assert_eq!(report.day.bookings.mean_lead_time_hours, None);
        assert!(report.lines.is_empty() && report.hours.is_empty());
    }

    #[test]
    fn statistics_of_other_days_are_ignored() {
        let mut other_day = statistics(8, Category::Car, BookingCounts::default());
        other_day.key.day = date().succ_opt().unwrap();
        other_day.counts.holds = 99;

        let report = DailyReport::build(&narva(), date(), &[], &[other_day]);

        assert_eq!(report.day.bookings.holds, 0);
        assert!(report.hours.is_empty());
    }

    #[test]
    fn csv_has_one_row_per_line_with_empty_cells_where_a_figure_does_not_apply() {
        let report = sample();

        let csv = String::from_utf8(report.to_csv().unwrap()).unwrap();

        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header[..8],
            [
                "checkpoint",
                "date",
                "section",
                "direction",
                "category",
                "hour",
                "windows",
                "blocked_windows"
            ]
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let sections: Vec<&str> = rows.iter().map(|r| &r[2]).collect();
        assert_eq!(
            sections,
            [
                "day",
                "category",
                "category",
                "direction_category",
                "direction_category",
                "direction_category",
                "hour",
                "hour"
            ]
        );
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        assert_eq!(&rows[0][0], "narva");
        assert_eq!(&rows[0][1], "2026-03-21");
        assert_eq!(&rows[0][column("taken")], "16");
        assert_eq!(&rows[0][column("confirmations")], "15");
        // Direction × category lines have no booking counts.
        assert_eq!(&rows[3][column("direction")], "entry");
        assert_eq!(&rows[3][column("confirmations")], "");
        assert_eq!(&rows[6][column("hour")], "8");
        assert_eq!(&rows[6][column("utilisation_percent")], "7.5");
    }

    #[test]
    fn file_stem_names_checkpoint_and_date() {
        assert_eq!(sample().file_stem(), "narva-2026-03-21");
    }
}
