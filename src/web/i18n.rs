//! The pages' two languages. Every text is a field of `Texts`, so a phrase missing in one
//! language is a compile error, not an English word on a Russian page.

use chrono::{Datelike, NaiveDate};

use crate::domain::{BookingStatus, Category, Direction};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

pub static EN: Texts = Texts {
    site_title: "Border crossing arrival windows",
    skip_to_content: "Skip to content",
    switch_language: "Русский",
    nav_book: "Book a window",
    nav_status: "Queue status",
    nav_staff: "Staff",
    search_heading: "Book a time to cross",
    search_intro: "Choose where and when you will cross. You then hold a window for a few minutes while you enter your vehicle's plate and a contact.",
    checkpoint: "Checkpoint",
    direction: "Direction",
    entry: "Entry",
    exit: "Exit",
    category: "Vehicle",
    car: "Car",
    truck: "Truck",
    bus: "Bus",
    motorcycle: "Motorcycle",
    date: "Date",
    show_windows: "Show windows",
    windows_heading: "Windows",
    previous_day: "Previous day",
    next_day: "Next day",
    change_search: "Change",
    window: "Window",
    main_navigation: "Main",
    full: "Full",
    blocked: "Closed by the checkpoint",
    closed: "No longer bookable",
    choose: "Choose",
    no_windows: "There are no windows on this day for this vehicle and direction.",
    local_time: "local time",
    across_the_border: "across the border",
    hold_heading: "Your window is held",
    hold_intro: "Nobody else can take this place while it is held. Enter your vehicle's plate and a contact to confirm it.",
    hold_time_left: "Time left to confirm",
    hold_until: "Held until",
    hold_ran_out: "The hold has run out: the place is free again. Choose a window again.",
    plate: "Plate number",
    plate_hint: "As on the vehicle, for example 123ABC or AB 1234 CD.",
    contact: "E-mail or phone",
    contact_hint: "For the confirmation and a reminder, for example name@example.com or +372 5123 4567.",
    confirm: "Confirm booking",
    release_hold: "Release this window",
    booking_heading: "Your booking",
    booking_code: "Booking code",
    qr_code_of: "QR code of booking code",
    qr_hint: "Show this code at the checkpoint: the scanner reads it.",
    manage_link: "Link to this booking",
    manage_link_hint: "Keep this link: it is the only way to change or cancel the booking.",
    add_to_calendar: "Add to calendar (.ics)",
    reschedule: "Change the window",
    cancel_booking: "Cancel booking",
    cancel_question: "Cancel this booking?",
    cancel_yes: "Yes, cancel it",
    keep_booking: "No, keep it",
    booking_status: "Status",
    arrive_between: "Arrival window",
    status_held: "Held, not yet confirmed",
    status_confirmed: "Confirmed",
    status_arrived: "Checked in",
    status_completed: "Crossed",
    status_cancelled: "Cancelled",
    status_expired: "Hold expired",
    status_no_show: "Missed",
    notice_confirmed: "Booked. Your window is confirmed.",
    notice_moved: "Moved. Your booking is now in the new window; the old one is free again.",
    notice_cancelled: "Cancelled. The place is free for someone else.",
    notice_kept: "Done. Your booking stays in the new window.",
    reslot_heading: "The checkpoint moved your booking",
    reslot_intro: "The window you chose was closed. Your booking moved to the nearest window with room; the code stays the same. Keep the new window, pick another or cancel.",
    reslot_chosen: "Window you chose",
    reslot_keep: "Keep the new window",
    reslot_pick: "Pick another window",
    book_again: "Book a new window",
    reschedule_heading: "Choose a new window",
    reschedule_intro: "Your current window stays booked until the new one is confirmed.",
    move_here: "Move here",
    current_window: "Current window",
    back_to_booking: "Back to the booking",
    error_heading: "That did not work",
    error_window_full: "This window has just filled up while you were deciding. Please choose another window.",
    error_window_blocked: "This window has just been closed by the checkpoint. Please choose another window.",
    error_hold_expired: "Your hold has expired and the place was released. Please choose a window again.",
    error_window_closed: "This window can no longer be booked: it starts too soon or is outside the booking period.",
    error_plate_booked: "This vehicle already has a booking at this checkpoint in this direction on this day.",
    error_too_many_holds: "This contact already holds several unconfirmed windows today. Confirm or release one first.",
    error_too_many_reschedules: "This booking has been moved as often as allowed. Cancel it and book anew.",
    error_plate_barred: "This vehicle may not book for now after repeated missed or cancelled bookings.",
    error_not_found: "No booking matches this link. Check that you copied the whole link.",
    error_unknown_checkpoint: "There is no such checkpoint. Choose one from the list.",
    error_rate_limited: "Too many requests from your connection. Wait a minute and try again.",
    error_unavailable: "The service is busy right now. Please try again in a moment.",
    error_form_expired: "This form has expired. The page has been reloaded: please try again.",
    error_invalid: "Please check this field",
    error_wrong_state: "This booking cannot be changed any more.",
    error_page_not_found: "There is no page at this address.",
    error_request: "This page cannot be used this way. Go back and try again.",
    field_plate: "Plate number",
    field_contact: "E-mail or phone",
    field_date: "Date",
    field_window: "Window",
    status_heading: "Queue status",
    status_intro: "How full the windows are, who has checked in and the next window you can still book. Updated live.",
    today: "Today",
    tomorrow: "Tomorrow",
    checked_in: "Checked in",
    expected: "Still expected today",
    next_free_window: "Next free window",
    nothing_free: "Nothing free today or tomorrow",
    updated_at: "As of",
    lane: "Lane",
    book_a_window: "Book a window",
    status_of_all: "Queue status of every checkpoint",
    for_programs: "For carriers' systems: the booking API",
    best_times_heading: "The best time to cross",
    best_times_intro: "Vehicles expected per hour in the coming days, learned from past bookings. Quiet hours expect at most half of the day's average hour.",
    hour: "Hour",
    quiet: "quiet",
    quiet_hour: "Quiet hour",
    quiet_hours: "Quiet hours",
    no_quiet_hours: "none stand out",
};

pub static RU: Texts = Texts {
    site_title: "Запись на пересечение границы",
    skip_to_content: "Перейти к содержанию",
    switch_language: "English",
    nav_book: "Записаться",
    nav_status: "Очередь",
    nav_staff: "Сотрудникам",
    search_heading: "Запишитесь на время пересечения",
    search_intro: "Выберите пункт пропуска и время. Окно держится за вами несколько минут, пока вы вводите номер машины и контакт.",
    checkpoint: "Пункт пропуска",
    direction: "Направление",
    entry: "Въезд",
    exit: "Выезд",
    category: "Транспорт",
    car: "Легковой",
    truck: "Грузовой",
    bus: "Автобус",
    motorcycle: "Мотоцикл",
    date: "Дата",
    show_windows: "Показать окна",
    windows_heading: "Окна",
    previous_day: "Предыдущий день",
    next_day: "Следующий день",
    change_search: "Изменить",
    window: "Окно",
    main_navigation: "Основное меню",
    full: "Мест нет",
    blocked: "Закрыто пунктом пропуска",
    closed: "Запись закрыта",
    choose: "Выбрать",
    no_windows: "В этот день нет окон для этого транспорта и направления.",
    local_time: "местное время",
    across_the_border: "по ту сторону границы",
    hold_heading: "Окно закреплено за вами",
    hold_intro: "Пока окно закреплено, его никто не займёт. Введите номер машины и контакт, чтобы подтвердить запись.",
    hold_time_left: "Осталось времени на подтверждение",
    hold_until: "Закреплено до",
    hold_ran_out: "Время вышло: место снова свободно. Выберите окно заново.",
    plate: "Госномер",
    plate_hint: "Как на машине, например 123ABC или AB 1234 CD.",
    contact: "E-mail или телефон",
    contact_hint: "Для подтверждения и напоминания, например name@example.com или +372 5123 4567.",
    confirm: "Подтвердить запись",
    release_hold: "Освободить окно",
    booking_heading: "Ваша запись",
    booking_code: "Код записи",
    qr_code_of: "QR-код записи",
    qr_hint: "Покажите этот код на пункте пропуска: его считает сканер.",
    manage_link: "Ссылка на запись",
    manage_link_hint: "Сохраните ссылку: только по ней можно изменить или отменить запись.",
    add_to_calendar: "Добавить в календарь (.ics)",
    reschedule: "Перенести на другое окно",
    cancel_booking: "Отменить запись",
    cancel_question: "Отменить эту запись?",
    cancel_yes: "Да, отменить",
    keep_booking: "Нет, оставить",
    booking_status: "Состояние",
    arrive_between: "Время прибытия",
    status_held: "Закреплено, не подтверждено",
    status_confirmed: "Подтверждено",
    status_arrived: "Отмечено на пункте",
    status_completed: "Пересёк границу",
    status_cancelled: "Отменено",
    status_expired: "Время закрепления вышло",
    status_no_show: "Не явился",
    notice_confirmed: "Готово. Ваша запись подтверждена.",
    notice_moved: "Перенесено. Запись теперь в новом окне, старое место освобождено.",
    notice_cancelled: "Запись отменена. Место свободно для других.",
    notice_kept: "Готово. Запись остаётся в новом окне.",
    reslot_heading: "Пункт пропуска перенёс вашу запись",
    reslot_intro: "Выбранное вами окно закрыто. Запись перенесена в ближайшее окно со свободными местами, код прежний. Оставьте новое окно, выберите другое или отмените запись.",
    reslot_chosen: "Выбранное вами окно",
    reslot_keep: "Оставить новое окно",
    reslot_pick: "Выбрать другое окно",
    book_again: "Записаться заново",
    reschedule_heading: "Выберите новое окно",
    reschedule_intro: "Текущее окно остаётся за вами, пока новое не подтверждено.",
    move_here: "Перенести сюда",
    current_window: "Текущее окно",
    back_to_booking: "Вернуться к записи",
    error_heading: "Не получилось",
    error_window_full: "Пока вы выбирали, в этом окне закончились места. Выберите другое окно.",
    error_window_blocked: "Это окно только что закрыл пункт пропуска. Выберите другое окно.",
    error_hold_expired: "Время закрепления вышло, место освобождено. Выберите окно заново.",
    error_window_closed: "На это окно больше нельзя записаться: оно начинается слишком скоро или вне периода записи.",
    error_plate_booked: "У этой машины уже есть запись на этом пункте в этом направлении на этот день.",
    error_too_many_holds: "С этим контактом уже закреплено несколько неподтверждённых окон. Сначала подтвердите или освободите одно.",
    error_too_many_reschedules: "Запись переносили максимальное число раз. Отмените её и запишитесь заново.",
    error_plate_barred: "Этой машине временно нельзя записываться из-за неявок и отмен.",
    error_not_found: "Запись по этой ссылке не найдена. Проверьте, что ссылка скопирована целиком.",
    error_unknown_checkpoint: "Такого пункта пропуска нет. Выберите пункт из списка.",
    error_rate_limited: "Слишком много запросов с вашего подключения. Подождите минуту и попробуйте снова.",
    error_unavailable: "Сервис сейчас перегружен. Попробуйте ещё раз через минуту.",
    error_form_expired: "Форма устарела. Страница обновлена: попробуйте ещё раз.",
    error_invalid: "Проверьте поле",
    error_wrong_state: "Эту запись больше нельзя изменить.",
    error_page_not_found: "По этому адресу страницы нет.",
    error_request: "Эту страницу так использовать нельзя. Вернитесь назад и попробуйте ещё раз.",
    field_plate: "Госномер",
    field_contact: "E-mail или телефон",
    field_date: "Дата",
    field_window: "Окно",
    status_heading: "Очередь на пункте",
    status_intro: "Заполненность окон, кто уже отметился и ближайшее свободное окно. Обновляется автоматически.",
    today: "Сегодня",
    tomorrow: "Завтра",
    checked_in: "Отметились",
    expected: "Ещё ожидаются сегодня",
    next_free_window: "Ближайшее свободное окно",
    nothing_free: "Сегодня и завтра свободных окон нет",
    updated_at: "По состоянию на",
    lane: "Полоса",
    book_a_window: "Записаться",
    status_of_all: "Очередь на всех пунктах",
    for_programs: "Для систем перевозчиков: API записи",
    best_times_heading: "Когда лучше ехать",
    best_times_intro: "Сколько машин ожидается в каждый час ближайших дней, по прошлым записям. В спокойные часы ожидается не больше половины среднего часа дня.",
    hour: "Час",
    quiet: "спокойно",
    quiet_hour: "Спокойный час",
    quiet_hours: "Спокойные часы",
    no_quiet_hours: "не выделяются",
};

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
