//! What staff are told when the API refuses a request: the staff forms' own field names, and
//! the drivers' wording for everything the two sides share.

use super::texts::{StaffTexts, staff_texts};
use crate::app::error::ApiError;
use crate::domain::AllocationError;
use crate::web::i18n::{Lang, Texts};
use crate::web::problems::Problem;

pub fn staff_problem(lang: Lang, error: &ApiError) -> Problem {
    let st = staff_texts(lang);
    let status = error.status();
    let message = match error {
        ApiError::Invalid(input) | ApiError::Allocation(AllocationError::Invalid(input)) => {
            // The API's reasons are English; Russian pages name the field only.
            let reason = match lang {
                Lang::En => format!("{}.", input.reason),
                Lang::Ru => format!("{}.", st.check_value),
            };
            return Problem {
                message: format!("{}: {reason}", field_name(lang.texts(), st, input.field)),
                field: Some(input.field),
                status,
            };
        }
        ApiError::NotFound("checkpoint") => st.unknown_checkpoint,
        ApiError::NotFound(_) | ApiError::Allocation(AllocationError::UnknownBooking) => {
            st.unknown_booking
        }
        ApiError::Allocation(AllocationError::UnknownWindow) => st.no_windows_in_range,
        ApiError::Forbidden(_) => st.forbidden_role,
        _ => return Problem::of(lang, error),
    };
    Problem::new(message, status)
}

fn field_name(t: &Texts, st: &StaffTexts, field: &str) -> &'static str {
    match field {
        "from" => st.field_from,
        "to" => st.field_until,
        "reason" => st.field_reason,
        "mode" => st.field_mode,
        "reserved" => st.field_reserved,
        "code" => st.field_code,
        "days" => st.field_days,
        "categories" => st.vehicles,
        "plate" => t.field_plate,
        "date" => t.field_date,
        "checkpoint" => t.checkpoint,
        "direction" => t.direction,
        "category" => t.category,
        _ => t.error_invalid,
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;

    use super::*;
    use crate::domain::InputError;

    #[test]
    fn a_form_field_is_named_in_the_page_s_language() {
        let error = ApiError::Invalid(InputError::new("reason", "give a reason"));
        let en = staff_problem(Lang::En, &error);
        assert_eq!(en.message, "Reason: give a reason.");
        assert_eq!(en.field, Some("reason"));
        assert_eq!(en.status, StatusCode::UNPROCESSABLE_ENTITY);
        let ru = staff_problem(Lang::Ru, &error);
        assert_eq!(ru.message, "Причина: проверьте значение.");
    }

    #[test]
    fn refusals_the_drivers_share_keep_their_words() {
        let full = ApiError::Allocation(AllocationError::WindowFull);
        assert_eq!(
            staff_problem(Lang::En, &full).message,
            Problem::of(Lang::En, &full).message
        );
        let missing = ApiError::NotFound("checkpoint");
        assert_eq!(
            staff_problem(Lang::En, &missing).message,
            "There is no such checkpoint."
        );
    }
}
