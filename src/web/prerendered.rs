//! A page rendered once, ahead of the requests it answers, with holes where each request puts
//! its own parts: the form tag of the browser's form session and the addresses that repeat the
//! request's query.
//!
//! A hole is marked in the rendered page by `<` followed by a NUL. maud escapes `<` in every
//! value it writes, whatever its source (a checkpoint's name, a query parameter), and our
//! templates write `<` only to open a tag, so no data can make a mark, and every mark is one of
//! ours. The marks never leave the server: [`Prerendered::from_document`] takes them out and
//! notes where they were.

use std::sync::Arc;

use actix_web::web::Bytes;
use maud::{PreEscaped, Render};

/// A part of a page that differs from request to request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hole {
    /// The anti-forgery tag of the browser's form session.
    FormTag,
    /// The address of this page in the other language.
    LanguageSwitch,
    /// The address that shows this page again.
    Location,
}

impl Hole {
    const ALL: [Hole; 3] = [Hole::FormTag, Hole::LanguageSwitch, Hole::Location];

    /// What stands for this hole in a page rendered to be kept.
    pub fn mark(self) -> PreEscaped<&'static str> {
        PreEscaped(match self {
            Hole::FormTag => "<\0form-tag>",
            Hole::LanguageSwitch => "<\0language-switch>",
            Hole::Location => "<\0location>",
        })
    }
}

/// A page without its holes, and where each hole goes.
#[derive(Debug, Clone)]
pub struct Prerendered {
    text: Bytes,
    /// Byte offsets into `text`, ascending.
    holes: Arc<[(usize, Hole)]>,
}

impl Prerendered {
    pub fn from_document(document: &str) -> Self {
        let mut text = String::with_capacity(document.len());
        let mut holes = Vec::new();
        let mut rest = document;
        while let Some(at) = rest.find("<\0") {
            let (before, marked) = rest.split_at(at);
            text.push_str(before);
            match Hole::ALL
                .into_iter()
                .find(|hole| marked.starts_with(hole.mark().0))
            {
                Some(hole) => {
                    holes.push((text.len(), hole));
                    rest = &marked[hole.mark().0.len()..];
                }
                // Not a mark of ours (none of our templates writes one): kept as it is.
                None => {
                    text.push_str("<\0");
                    rest = &marked[2..];
                }
            }
        }
        text.push_str(rest);
        Self {
            text: Bytes::from(text),
            holes: holes.into(),
        }
    }

    /// The page with each hole filled by `value` of it, escaped as maud escapes a value.
    /// `value` is asked once per kind of hole, however often the page has it.
    pub fn fill(&self, mut value: impl FnMut(Hole) -> String) -> Bytes {
        let mut values: [Option<String>; Hole::ALL.len()] = Default::default();
        let mut page = Vec::with_capacity(self.text.len() + 128 * self.holes.len());
        let mut from = 0;
        for &(at, hole) in self.holes.iter() {
            page.extend_from_slice(&self.text[from..at]);
            let filled = values[hole as usize].get_or_insert_with(|| {
                let mut escaped = String::new();
                value(hole).as_str().render_to(&mut escaped);
                escaped
            });
            page.extend_from_slice(filled.as_bytes());
            from = at;
        }
        page.extend_from_slice(&self.text[from..]);
        Bytes::from(page)
    }

    /// The size of the kept page, for bounding how many are kept.
    pub fn size_bytes(&self) -> usize {
        self.text.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maud::html;

    fn page(form_tag: impl Render, location: impl Render) -> String {
        html! {
            p data-url=(location) { "a < b" }
            form { input value=(form_tag); }
            form { input value=(form_tag); }
        }
        .into_string()
    }

    #[test]
    fn a_filled_page_is_the_page_rendered_with_the_values() {
        let location = "/windows?a=1&b=\"2\"";
        let kept = Prerendered::from_document(&page(Hole::FormTag.mark(), Hole::Location.mark()));
        let mut asked = Vec::new();
        let filled = kept.fill(|hole| {
            asked.push(hole);
            match hole {
                Hole::FormTag => "tag".to_owned(),
                _ => location.to_owned(),
            }
        });
        assert_eq!(filled, page("tag", location).as_bytes());
        assert_eq!(asked, [Hole::Location, Hole::FormTag]);
    }

    #[test]
    fn data_cannot_make_a_hole() {
        let forged = format!("{}\0form-tag>", '<');
        let document = page(forged.as_str(), forged.as_str());
        let kept = Prerendered::from_document(&document);
        assert_eq!(kept.fill(|_| "filled".to_owned()), document.as_bytes());
        assert!(!document.contains("<\0"));
    }

    #[test]
    fn a_mark_that_is_no_hole_stays_as_it_is() {
        let kept = Prerendered::from_document("a<\0b<\0location>c");
        assert_eq!(
            kept.fill(|_| "<x>".to_owned()),
            "a<\0b&lt;x&gt;c".as_bytes()
        );
    }
}
