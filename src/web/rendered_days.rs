//! Day pages rendered once and served again, as the availability answers beside them are
//! (`http::rendered`): a day being booked is read far more often than it changes, and
//! rendering its windows (local times in two zones, words, markup) costs far more than the
//! rest of the request.
//!
//! A kept page is served only while (1) the day's actor reports the revision it was rendered
//! at, (2) the clock has not reached the first instant at which it alone changes what the page
//! shows (a window closing at its cut-off, or ending), and (3) it is younger than
//! [`RENDERED_FOR`], which bounds what else it was rendered from (the forecast's quiet hours).
//! The key holds everything else the page is rendered from: the lane, the language and the
//! checkpoint's local today (which decides the links to the days before and after).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use super::i18n::Lang;
use super::prerendered::Prerendered;
use crate::app::RENDERED_FOR;
use crate::domain::{Category, CheckpointId, Direction};

/// Roughly 1,700 day pages; with [`RENDERED_FOR`] this bounds only a flood of distinct ones.
const PAGE_BYTES_KEPT_MAX: u64 = 32 * 1024 * 1024;

/// Which day page: the lane and date, the language, and the checkpoint's local today.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DayPageKey {
    pub checkpoint: CheckpointId,
    pub date: NaiveDate,
    pub direction: Direction,
    pub category: Category,
    pub lang: Lang,
    pub today: NaiveDate,
}

struct KeptPage {
    revision: u64,
    unchanged_until: DateTime<Utc>,
    page: Prerendered,
}

pub struct RenderedDays {
    pages: moka::sync::Cache<DayPageKey, Arc<KeptPage>>,
}

impl Default for RenderedDays {
    fn default() -> Self {
        Self {
            pages: moka::sync::Cache::builder()
                .max_capacity(PAGE_BYTES_KEPT_MAX)
                .weigher(|_, kept: &Arc<KeptPage>| {
                    u32::try_from(kept.page.size_bytes()).unwrap_or(u32::MAX)
                })
                .time_to_live(RENDERED_FOR)
                .build(),
        }
    }
}

impl RenderedDays {
    /// The page rendered at `revision`, if it is still kept and the clock has not changed it.
    pub fn get(&self, key: &DayPageKey, revision: u64, now: DateTime<Utc>) -> Option<Prerendered> {
        self.pages
            .get(key)
            .filter(|kept| kept.revision == revision && now < kept.unchanged_until)
            .map(|kept| kept.page.clone())
    }

    /// Keeps `page`, rendered at `revision`, until the clock reaches `unchanged_until`.
    pub fn keep(
        &self,
        key: DayPageKey,
        revision: u64,
        unchanged_until: DateTime<Utc>,
        page: Prerendered,
    ) {
        self.pages.insert(
            key,
            Arc::new(KeptPage {
                revision,
                unchanged_until,
                page,
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn key(lang: Lang) -> DayPageKey {
        let date = NaiveDate::from_ymd_opt(2026, 3, 21).unwrap();
        DayPageKey {
            checkpoint: CheckpointId::parse("narva").unwrap(),
            date,
            direction: Direction::Entry,
            category: Category::Car,
            lang,
            today: date - Duration::days(1),
        }
    }

    #[test]
    fn a_kept_page_is_served_at_its_revision_until_the_clock_changes_it() {
        let rendered = RenderedDays::default();
        let now = Utc.with_ymd_and_hms(2026, 3, 20, 6, 0, 0).unwrap();
        let closing = now + Duration::minutes(90);
        rendered.keep(
            key(Lang::En),
            7,
            closing,
            Prerendered::from_document("<p>kept</p>"),
        );

        let served = |key: &DayPageKey, revision, at| rendered.get(key, revision, at).is_some();
        assert!(served(&key(Lang::En), 7, now));
        assert!(served(
            &key(Lang::En),
            7,
            closing - Duration::nanoseconds(1)
        ));
        assert!(!served(&key(Lang::En), 7, closing));
        assert!(!served(&key(Lang::En), 8, now));
        assert!(!served(&key(Lang::Ru), 7, now));
    }
}
