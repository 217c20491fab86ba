//! What an admin's window forms on the day page send — the action, the range as typed — kept
//! so that a refused form is shown again as it was sent.

use crate::app::windows::WindowRequest;
use crate::web::problems::Problem;

/// The three things an admin does to a range of windows, each with its own form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Block,
    Unblock,
    Reserve,
}

impl Action {
    pub(super) const ALL: [Action; 3] = [Action::Block, Action::Unblock, Action::Reserve];

    /// Where its form is sent.
    pub(super) fn path(self) -> &'static str {
        match self {
            Action::Block => "/staff/blocks",
            Action::Unblock => "/staff/unblocks",
            Action::Reserve => "/staff/reserved",
        }
    }

    /// The word in the address after it is done, and in the form's field ids.
    pub(super) fn key(self) -> &'static str {
        match self {
            Action::Block => "blocked",
            Action::Unblock => "unblocked",
            Action::Reserve => "reserved",
        }
    }

    pub(super) fn from_key(key: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|action| action.key() == key)
    }
}

/// What a window form sent, kept to show the form again with its problem.
#[derive(Debug, Default)]
pub struct RangeForm {
    pub form_token: Option<String>,
    pub checkpoint: String,
    pub date: String,
    pub from: String,
    pub to: String,
    pub direction: String,
    /// Ticked categories; a form sends one field per box, so it is read field by field.
    pub categories: Vec<String>,
    pub reason: Option<String>,
    pub mode: String,
    pub reserved: String,
}

impl RangeForm {
    pub fn parse(body: &[u8]) -> Self {
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        let mut form = RangeForm::default();
        for (name, value) in fields {
            match name.as_str() {
                "form_token" => form.form_token = Some(value),
                "checkpoint" => form.checkpoint = value,
                "date" => form.date = value,
                "from" => form.from = value,
                "to" => form.to = value,
                "direction" => form.direction = value,
                "categories" => form.categories.push(value),
                "reason" => form.reason = Some(value),
                "mode" => form.mode = value,
                "reserved" => form.reserved = value,
                _ => {}
            }
        }
        form
    }

    /// The range as the API's admin routes take it; an empty choice is no choice.
    pub fn window_request(&self) -> WindowRequest {
        let chosen = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        WindowRequest {
            from: self.from.clone(),
            to: self.to.clone(),
            direction: chosen(&self.direction),
            categories: self.categories.clone(),
            reason: self.reason.clone(),
            mode: chosen(&self.mode),
            // Not a whole number is no number: the API then says what it wants.
            reserved: self.reserved.trim().parse().ok(),
            // The staff pages do not set places yet; the API does.
            capacity: None,
        }
    }
}

/// A form that was refused, to show again as it was sent.
pub struct Failed<'a> {
    pub action: Action,
    pub entered: &'a RangeForm,
    pub problem: Problem,
}
