//! Markup the pages' tables share.

use maud::{Markup, html};

/// A column's heading. Figures are aligned right, as the cells below them are.
pub enum Column<'a> {
    Text(&'a str),
    Figure(&'a str),
}

/// The row of column headings at the top of a table.
pub fn heading_row(columns: &[Column<'_>]) -> Markup {
    html! {
        tr {
            @for column in columns {
                @match column {
                    Column::Text(heading) => th scope="col" { (heading) },
                    Column::Figure(heading) => th scope="col" class="number" { (heading) },
                }
            }
        }
    }
}
