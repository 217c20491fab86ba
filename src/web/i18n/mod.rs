//! The pages' two languages. Every text is a field of `Texts`, so a phrase missing in one
//! language is a compile error, not an English word on a Russian page.

use chrono::{Datelike, NaiveDate};

use crate::domain::{BookingStatus, Category, Direction};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Ru,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }

    /// The language of the page: an explicit choice first (the switch, then the cookie it
    /// left), else the first of the browser's languages we speak, else English.
    pub fn negotiate(
        chosen: Option<&str>,
        remembered: Option<&str>,
        accept_language: Option<&str>,
    ) -> Lang {
        if let Some(lang) = chosen.and_then(Lang::parse) {
            return lang;
        }
        if let Some(lang) = remembered.and_then(Lang::parse) {
            return lang;
        }
        let mut ranked: Vec<(f32, Lang)> = accept_language
            .unwrap_or_default()
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim();
                let primary = tag.split('-').next()?;
                let lang = Lang::parse(primary)?;
                let quality = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (quality > 0.0).then_some((quality, lang))
            })
            .collect();
        // Stable: among equal weights the browser's order stands.
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map_or(Lang::En, |(_, lang)| *lang)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Ru => &RU,
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Ru,
            Lang::Ru => Lang::En,
        }
    }

    pub fn direction(self, direction: Direction) -> &'static str {
        let t = self.texts();
        match direction {
            Direction::Entry => t.entry,
            Direction::Exit => t.exit,
        }
    }

    pub fn category(self, category: Category) -> &'static str {
        let t = self.texts();
        match category {
            Category::Car => t.car,
            Category::Truck => t.truck,
            Category::Bus => t.bus,
            Category::Motorcycle => t.motorcycle,
        }
    }

    pub fn status(self, status: BookingStatus) -> &'static str {
        let t = self.texts();
        match status {
            BookingStatus::Held => t.status_held,
            BookingStatus::Confirmed => t.status_confirmed,
            BookingStatus::Arrived => t.status_arrived,
            BookingStatus::Completed => t.status_completed,
            BookingStatus::Cancelled => t.status_cancelled,
            BookingStatus::Expired => t.status_expired,
            BookingStatus::NoShow => t.status_no_show,
        }
    }

    /// "12 places free" / "12 мест свободно".
    pub fn places_free(self, n: u32) -> String {
        match self {
            Lang::En if n == 1 => "1 place free".to_owned(),
            Lang::En => format!("{n} places free"),
            Lang::Ru => format!(
                "{n} {} свободно",
                russian_plural(n, "место", "места", "мест")
            ),
        }
    }

    pub fn date_range(self, horizon_days: u32) -> String {
        match self {
            Lang::En => format!(
                "Windows can be booked from today up to {horizon_days} days ahead. Choose another date."
            ),
            Lang::Ru => format!(
                "Записаться можно на сегодня и на {horizon_days} {} вперёд. Выберите другую дату.",
                russian_plural(horizon_days, "день", "дня", "дней")
            ),
        }
    }

    /// "7 of 40 booked" / "занято 7 из 40".
    pub fn booked_of(self, booked: u32, capacity: u32) -> String {
        match self {
            Lang::En => format!("{booked} of {capacity} booked"),
            Lang::Ru => format!("занято {booked} из {capacity}"),
        }
    }

    pub fn vehicles(self, n: u32) -> String {
        match self {
            Lang::En if n == 1 => "1 vehicle".to_owned(),
            Lang::En => format!("{n} vehicles"),
            Lang::Ru => format!("{n} {}", russian_plural(n, "машина", "машины", "машин")),
        }
    }

    /// A date's weekday, short: "Sat" / "сб".
    pub fn weekday(self, date: NaiveDate) -> &'static str {
        let weekday = date.weekday().num_days_from_monday() as usize;
        match self {
            Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][weekday],
            Lang::Ru => ["пн", "вт", "ср", "чт", "пт", "сб", "вс"][weekday],
        }
    }

    /// A date as people write it: "Sat 21 March 2026" / "сб, 21 марта 2026".
    pub fn date(self, date: NaiveDate) -> String {
        let month = date.month0() as usize;
        match self {
            Lang::En => format!(
                "{} {} {} {}",
                self.weekday(date),
                date.day(),
                [
                    "January",
                    "February",
                    "March",
                    "April",
                    "May",
                    "June",
                    "July",
                    "August",
                    "September",
                    "October",
                    "November",
                    "December"
                ][month],
                date.year()
            ),
            Lang::Ru => format!(
                "{}, {} {} {}",
                self.weekday(date),
                date.day(),
                [
                    "января",
                    "февраля",
                    "марта",
                    "апреля",
                    "мая",
                    "июня",
                    "июля",
                    "августа",
                    "сентября",
                    "октября",
                    "ноября",
                    "декабря"
                ][month],
                date.year()
            ),
        }
    }
}

/// Russian nouns after a number take one of three forms: 1 место, 2 места, 5 мест.
fn russian_plural<'a>(n: u32, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    match (n % 10, n % 100) {
        (1, h) if h != 11 => one,
        (2..=4, h) if !(12..=14).contains(&h) => few,
        _ => many,
    }
}

pub struct Texts {
    pub site_title: &'static str,
    pub skip_to_content: &'static str,
    pub switch_language: &'static str,
    pub nav_book: &'static str,
    pub nav_status: &'static str,
    pub nav_staff: &'static str,
    pub search_heading: &'static str,
    pub search_intro: &'static str,
    pub checkpoint: &'static str,
    pub direction: &'static str,
    pub entry: &'static str,
    pub exit: &'static str,
    pub category: &'static str,
    pub car: &'static str,
    pub truck: &'static str,
    pub bus: &'static str,
    pub motorcycle: &'static str,
    pub date: &'static str,
    pub show_windows: &'static str,
    pub windows_heading: &'static str,
    pub previous_day: &'static str,
    pub next_day: &'static str,
    pub change_search: &'static str,
    pub window: &'static str,
    pub main_navigation: &'static str,
    pub full: &'static str,
    pub blocked: &'static str,
    pub closed: &'static str,
    pub choose: &'static str,
    pub no_windows: &'static str,
    pub local_time: &'static str,
    pub across_the_border: &'static str,
    pub hold_heading: &'static str,
    pub hold_intro: &'static str,
    pub hold_time_left: &'static str,
    pub hold_until: &'static str,
    pub hold_ran_out: &'static str,
    pub plate: &'static str,
    pub plate_hint: &'static str,
    pub contact: &'static str,
    pub contact_hint: &'static str,
    pub confirm: &'static str,
    pub release_hold: &'static str,
    pub booking_heading: &'static str,
    pub booking_code: &'static str,
    pub qr_code_of: &'static str,
    pub qr_hint: &'static str,
    pub manage_link: &'static str,
    pub manage_link_hint: &'static str,
    pub add_to_calendar: &'static str,
    pub reschedule: &'static str,
    pub cancel_booking: &'static str,
    pub cancel_question: &'static str,
    pub cancel_yes: &'static str,
    pub keep_booking: &'static str,
    pub booking_status: &'static str,
    pub arrive_between: &'static str,
    pub status_held: &'static str,
    pub status_confirmed: &'static str,
    pub status_arrived: &'static str,
    pub status_completed: &'static str,
    pub status_cancelled: &'static str,
    pub status_expired: &'static str,
    pub status_no_show: &'static str,
    pub notice_confirmed: &'static str,
    pub notice_moved: &'static str,
    pub notice_cancelled: &'static str,
    pub notice_kept: &'static str,
    pub reslot_heading: &'static str,
    pub reslot_intro: &'static str,
    pub reslot_chosen: &'static str,
    pub reslot_keep: &'static str,
    pub reslot_pick: &'static str,
    pub book_again: &'static str,
    pub reschedule_heading: &'static str,
    pub reschedule_intro: &'static str,
    pub move_here: &'static str,
    pub current_window: &'static str,
    pub back_to_booking: &'static str,
    pub error_heading: &'static str,
    pub error_window_full: &'static str,
    pub error_window_blocked: &'static str,
    pub error_hold_expired: &'static str,
    pub error_window_closed: &'static str,
    pub error_plate_booked: &'static str,
    pub error_too_many_holds: &'static str,
    pub error_too_many_reschedules: &'static str,
    pub error_plate_barred: &'static str,
    pub error_not_found: &'static str,
    pub error_unknown_checkpoint: &'static str,
    pub error_rate_limited: &'static str,
    pub error_unavailable: &'static str,
    pub error_form_expired: &'static str,
    pub error_invalid: &'static str,
    pub error_wrong_state: &'static str,
    pub error_page_not_found: &'static str,
    pub error_request: &'static str,
    pub field_plate: &'static str,
    pub field_contact: &'static str,
    pub field_date: &'static str,
    pub field_window: &'static str,
    pub status_heading: &'static str,
    pub status_intro: &'static str,
    pub today: &'static str,
    pub tomorrow: &'static str,
    pub checked_in: &'static str,
    pub expected: &'static str,
    pub next_free_window: &'static str,
    pub nothing_free: &'static str,
    pub updated_at: &'static str,
    pub lane: &'static str,
    pub book_a_window: &'static str,
    pub status_of_all: &'static str,
    pub for_programs: &'static str,
    pub best_times_heading: &'static str,
    pub best_times_intro: &'static str,
    pub hour: &'static str,
    pub quiet: &'static str,
    pub quiet_hour: &'static str,
    pub quiet_hours: &'static str,
    pub no_quiet_hours: &'static str,
}

mod en;
mod ru;
pub mod waitlist;

pub use en::EN;
pub use ru::RU;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_s_preferred_language_wins_unless_one_was_chosen() {
        assert_eq!(
            Lang::negotiate(None, None, Some("ru-RU,ru;q=0.9,en;q=0.8")),
            Lang::Ru
        );
        assert_eq!(
            Lang::negotiate(None, None, Some("et-EE,en;q=0.5,ru;q=0.7")),
            Lang::Ru
        );
        assert_eq!(Lang::negotiate(None, None, Some("de, fr")), Lang::En);
        assert_eq!(Lang::negotiate(None, None, None), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("en"), Some("ru")), Lang::En);
        assert_eq!(Lang::negotiate(Some("ru"), Some("en"), None), Lang::Ru);
        assert_eq!(Lang::negotiate(Some("xx"), None, Some("ru")), Lang::Ru);
    }

    #[test]
    fn russian_counts_take_the_right_form() {
        assert_eq!(Lang::Ru.places_free(1), "1 место свободно");
        assert_eq!(Lang::Ru.places_free(3), "3 места свободно");
        assert_eq!(Lang::Ru.places_free(11), "11 мест свободно");
        assert_eq!(Lang::Ru.places_free(21), "21 место свободно");
        assert_eq!(Lang::En.places_free(1), "1 place free");
        assert_eq!(Lang::Ru.vehicles(5), "5 машин");
    }

    #[test]
    fn dates_read_naturally() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 21).unwrap();
        assert_eq!(Lang::En.date(date), "Sat 21 March 2026");
        assert_eq!(Lang::Ru.date(date), "сб, 21 марта 2026");
    }
}
