//! Charts drawn on the server as SVG, so that they need no script and obey the pages' content
//! security policy: a heatmap, a bar chart and a line chart.
//!
//! Invariants: every chart is one `svg`, with `role="img"` and an `aria-label` that says what
//! it shows (the heatmap, whose cells are links, is hidden instead: its table carries it); every
//! value it draws is also written out as a number (on the chart and in the
//! table each page puts below it), so colour and length never carry a value alone; text on a
//! coloured cell keeps a contrast of at least 4.5:1. The functions are pure: values in,
//! markup out.

use maud::{Markup, html};

/// Ink for axes, labels and numbers, as in the stylesheet.
const INK: &str = "#1b1f24";
const MUTED: &str = "#4a5260";
const GRID: &str = "#c9ced6";
const BAR: &str = "#0b4f9c";
const LINE: &str = "#0b4f9c";
const FONT_SIZE: u32 = 12;

/// The titles of a chart's two axes.
pub struct Axes<'a> {
    pub x: &'a str,
    pub y: &'a str,
}

/// A colour of the heatmap's scale and the ink that stays readable on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shade {
    pub fill: &'static str,
    pub ink: &'static str,
    /// The lowest share (in percent) the shade stands for.
    pub from_percent: u32,
}

/// Light to dark blue in five steps of 20 %; dark ink on the light ones, white on the dark.
pub const SCALE: [Shade; 5] = [
    Shade {
        fill: "#eef4fb",
        ink: INK,
        from_percent: 0,
    },
    Shade {
        fill: "#c6dbf2",
        ink: INK,
        from_percent: 20,
    },
    Shade {
        fill: "#8fb8e6",
        ink: INK,
        from_percent: 40,
    },
    Shade {
        fill: "#2f6cb5",
        ink: "#ffffff",
        from_percent: 60,
    },
    Shade {
        fill: "#0b3d7a",
        ink: "#ffffff",
        from_percent: 80,
    },
];

/// The range of percentages each step of the scale stands for: "0–19%" … "80–100%".
pub fn scale_legend() -> Vec<String> {
    SCALE
        .iter()
        .enumerate()
        .map(|(i, shade)| {
            let upper = SCALE.get(i + 1).map_or(100, |next| next.from_percent - 1);
            format!("{}–{upper}%", shade.from_percent)
        })
        .collect()
}

/// A cell without a value (a day with no windows yet).
pub const NO_DATA: Shade = Shade {
    fill: "#eceef1",
    ink: INK,
    from_percent: 0,
};

/// The shade of a share between 0 and 1; `None` has no value.
pub fn shade(share: Option<f64>) -> Shade {
    let Some(share) = share.filter(|s| s.is_finite()) else {
        return NO_DATA;
    };
    let percent = (share * 100.0).clamp(0.0, 100.0);
    SCALE
        .iter()
        .rev()
        .find(|shade| percent >= f64::from(shade.from_percent))
        .copied()
        .unwrap_or(SCALE[0])
}

/// Round steps from 0 that reach `max`: 0, 5, 10, 15 or 0, 200, 400 … (about `count_max`
/// steps; an empty or zero range reads as 0 to 1).
pub fn nice_ticks(max: f64, count_max: usize) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let rough = max / count_max.max(1) as f64;
    let exponent = rough.log10().floor() as i32;
    // Scaled by a whole power of ten, so that 3 × 0.2 is 0.6 and not 0.6000000000000001.
    let scale = |mantissa: f64| {
        if exponent >= 0 {
            mantissa * 10f64.powi(exponent)
        } else {
            mantissa / 10f64.powi(-exponent)
        }
    };
    let mantissa = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|m| scale(*m) >= rough)
        .unwrap_or(10.0);
    let steps = (max / scale(mantissa)).ceil().max(1.0) as usize;
    (0..=steps).map(|i| scale(i as f64 * mantissa)).collect()
}

/// A number as a label: whole numbers without decimals, others with one.
pub fn number(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Where a chart draws: the whole picture and the plot inside its margins.
struct Frame {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    const fn new(width: f64, height: f64) -> Self {
        Self {
            width,
            height,
            left: 64.0,
            right: 16.0,
            top: 20.0,
            bottom: 56.0,
        }
    }

    fn plot_width(&self) -> f64 {
        self.width - self.left - self.right
    }

    fn plot_height(&self) -> f64 {
        self.height - self.top - self.bottom
    }

    fn baseline(&self) -> f64 {
        self.height - self.bottom
    }

    fn y_of(&self, value: f64, top_tick: f64) -> f64 {
        self.baseline() - self.plot_height() * (value / top_tick).clamp(0.0, 1.0)
    }

    fn view_box(&self) -> String {
        format!("0 0 {} {}", self.width, self.height)
    }

    /// The value axis with its grid lines, tick labels and title, and the other axis's title.
    fn axes(&self, ticks: &[f64], axes: &Axes) -> Markup {
        let top_tick = ticks.last().copied().unwrap_or(1.0);
        html! {
            g class="axis y" {
                @for tick in ticks {
                    @let y = self.y_of(*tick, top_tick);
                    line x1=(self.left) x2=(self.width - self.right) y1=(y) y2=(y)
                        stroke=(GRID) stroke-width="1" {}
                    text x=(self.left - 8.0) y=(y + 4.0) text-anchor="end" font-size=(FONT_SIZE)
                        fill=(MUTED) { (number(*tick)) }
                }
                text transform=(format!("translate(16 {}) rotate(-90)", self.top + self.plot_height() / 2.0))
                    text-anchor="middle" font-size=(FONT_SIZE) fill=(INK) { (axes.y) }
            }
            line class="axis x" x1=(self.left) x2=(self.width - self.right) y1=(self.baseline())
                y2=(self.baseline()) stroke=(INK) stroke-width="1" {}
            text x=(self.left + self.plot_width() / 2.0) y=(self.height - 8.0) text-anchor="middle"
                font-size=(FONT_SIZE) fill=(INK) { (axes.x) }
        }
    }
}

/// One bar: its label under the axis and its value.
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// Vertical bars over labelled positions, each with its value above it.
pub fn bar_chart(label: &str, axes: &Axes, bars: &[Bar]) -> Markup {
    let frame = Frame::new(720.0, 320.0);
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let ticks = nice_ticks(max, 5);
    let top_tick = ticks.last().copied().unwrap_or(1.0);
    let band = frame.plot_width() / bars.len().max(1) as f64;
    let bar_width = band * 0.7;
    html! {
        svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox=(frame.view_box())
            role="img" aria-label=(label) {
            (frame.axes(&ticks, axes))
            @for (i, bar) in bars.iter().enumerate() {
                @let x = frame.left + band * i as f64 + (band - bar_width) / 2.0;
                @let y = frame.y_of(bar.value, top_tick);
                @let centre = x + bar_width / 2.0;
                g class="bar" {
                    rect x=(x) y=(y) width=(bar_width) height=(frame.baseline() - y) fill=(BAR) {
                        title { (bar.label) ": " (number(bar.value)) }
                    }
                    @if bar.value > 0.0 {
                        text x=(centre) y=(y - 4.0) text-anchor="middle" font-size=(FONT_SIZE - 1)
                            fill=(INK) { (number(bar.value)) }
                    }
                    text x=(centre) y=(frame.baseline() + 16.0) text-anchor="middle"
                        font-size=(FONT_SIZE - 1) fill=(MUTED) { (bar.label) }
                }
            }
        }
    }
}

/// A line through `values` at even steps, with labelled marks at `x_ticks` (an index into
/// `values` and its label).
pub fn line_chart(label: &str, axes: &Axes, values: &[f64], x_ticks: &[(usize, String)]) -> Markup {
    let frame = Frame::new(720.0, 320.0);
    let max = values.iter().copied().fold(0.0, f64::max);
    let ticks = nice_ticks(max, 5);
    let top_tick = ticks.last().copied().unwrap_or(1.0);
    let step = frame.plot_width() / values.len().saturating_sub(1).max(1) as f64;
    let x_of = |i: usize| frame.left + step * i as f64;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", x_of(i), frame.y_of(*v, top_tick)))
        .collect();
    html! {
        svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox=(frame.view_box())
            role="img" aria-label=(label) {
            (frame.axes(&ticks, axes))
            @for (index, tick) in x_ticks {
                @let x = x_of(*index);
                g class="tick" {
                    line x1=(x) x2=(x) y1=(frame.top) y2=(frame.baseline() + 4.0) stroke=(GRID)
                        stroke-width="1" {}
                    text x=(x + 3.0) y=(frame.baseline() + 16.0) font-size=(FONT_SIZE - 1)
                        fill=(MUTED) { (tick) }
                }
            }
            polyline points=(points.join(" ")) fill="none" stroke=(LINE) stroke-width="2"
                stroke-linejoin="round" {}
        }
    }
}

/// One cell of the heatmap: its share (0 to 1, `None` without value), the words on it, the
/// sentence a pointer shows, and where it leads.
pub struct HeatCell {
    pub share: Option<f64>,
    pub text: String,
    pub title: String,
    pub href: String,
}

pub struct HeatRow {
    pub label: String,
    pub href: String,
    pub cells: Vec<HeatCell>,
}

// Sized so that two weeks fit the page's column at full scale and the text stays legible.
const HEAT_LABEL_WIDTH: f64 = 150.0;
const HEAT_CELL_WIDTH: f64 = 44.0;
const HEAT_CELL_HEIGHT: f64 = 36.0;
const HEAT_HEADER_HEIGHT: f64 = 40.0;
const HEAT_LEGEND_HEIGHT: f64 = 44.0;

/// Rows of cells under column headings (a heading's lines split at `\n`), with the scale as a
/// legend below. The cells link to their pages for a pointer; the keyboard and screen readers
/// take the same numbers and links from the table that goes with the chart, so the picture is
/// hidden from them rather than announced as an image holding links it cannot contain.
pub fn heatmap(columns: &[String], rows: &[HeatRow]) -> Markup {
    let width = HEAT_LABEL_WIDTH + HEAT_CELL_WIDTH * columns.len() as f64 + 8.0;
    let grid_bottom = HEAT_HEADER_HEIGHT + HEAT_CELL_HEIGHT * rows.len() as f64;
    let height = grid_bottom + HEAT_LEGEND_HEIGHT;
    let x_of = |column: usize| HEAT_LABEL_WIDTH + HEAT_CELL_WIDTH * column as f64;
    let y_of = |row: usize| HEAT_HEADER_HEIGHT + HEAT_CELL_HEIGHT * row as f64;
    html! {
        svg class="chart heatmap" xmlns="http://www.w3.org/2000/svg"
            viewBox=(format!("0 0 {width} {height}")) aria-hidden="true" focusable="false" {
            @for (column, heading) in columns.iter().enumerate() {
                text x=(x_of(column) + HEAT_CELL_WIDTH / 2.0) y="16" text-anchor="middle"
                    font-size=(FONT_SIZE) fill=(INK) {
                    @for (line, part) in heading.split('\n').enumerate() {
                        tspan x=(x_of(column) + HEAT_CELL_WIDTH / 2.0) dy=(if line == 0 { "0" } else { "1.2em" }) { (part) }
                    }
                }
            }
            @for (r, row) in rows.iter().enumerate() {
                a href=(row.href) tabindex="-1" {
                    text x="0" y=(y_of(r) + HEAT_CELL_HEIGHT / 2.0 + 4.0) font-size=(FONT_SIZE + 1)
                        fill=(INK) font-weight="600" { (row.label) }
                }
                @for (column, cell) in row.cells.iter().enumerate() {
                    @let shade = shade(cell.share);
                    a href=(cell.href) tabindex="-1" {
                        rect x=(x_of(column) + 1.0) y=(y_of(r) + 1.0) width=(HEAT_CELL_WIDTH - 2.0)
                            height=(HEAT_CELL_HEIGHT - 2.0) rx="3" fill=(shade.fill) {
                            title { (cell.title) }
                        }
                        text x=(x_of(column) + HEAT_CELL_WIDTH / 2.0) y=(y_of(r) + HEAT_CELL_HEIGHT / 2.0 + 4.0)
                            text-anchor="middle" font-size=(FONT_SIZE) fill=(shade.ink) {
                            (cell.text)
                        }
                    }
                }
            }
            g class="legend" {
                @for (i, (shade, words)) in SCALE.iter().zip(scale_legend()).enumerate() {
                    @let x = HEAT_LABEL_WIDTH + 92.0 * i as f64;
                    rect x=(x) y=(grid_bottom + 14.0) width="18" height="18" rx="3" fill=(shade.fill)
                        stroke=(MUTED) stroke-width="1" {}
                    text x=(x + 24.0) y=(grid_bottom + 28.0) font-size=(FONT_SIZE) fill=(INK) { (words) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (a, b) = (luminance(a), luminance(b));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    #[test]
    fn text_on_every_shade_keeps_a_contrast_of_four_and_a_half() {
        for shade in SCALE.iter().chain([&NO_DATA]) {
            let ratio = contrast(shade.fill, shade.ink);
            assert!(ratio >= 4.5, "{shade:?}: {ratio:.2}");
        }
        assert!(contrast(MUTED, "#ffffff") >= 4.5);
        assert!(
            contrast(BAR, "#ffffff") >= 3.0,
            "bars stand out from the page"
        );
    }

    #[test]
    fn shares_fall_into_steps_of_twenty_percent() {
        assert_eq!(shade(Some(0.0)), SCALE[0]);
        assert_eq!(shade(Some(0.199)), SCALE[0]);
        assert_eq!(shade(Some(0.2)), SCALE[1]);
        assert_eq!(shade(Some(0.55)), SCALE[2]);
        assert_eq!(shade(Some(0.79)), SCALE[3]);
        assert_eq!(shade(Some(1.0)), SCALE[4]);
        assert_eq!(shade(Some(1.7)), SCALE[4]);
        assert_eq!(shade(None), NO_DATA);
        assert_eq!(shade(Some(f64::NAN)), NO_DATA);
    }

    #[test]
    fn ticks_are_round_and_reach_the_largest_value() {
        assert_eq!(nice_ticks(7.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(nice_ticks(10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_ticks(0.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_ticks(2.2, 5), vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
        assert_eq!(
            nice_ticks(930.0, 5),
            vec![0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]
        );
        assert_eq!(nice_ticks(3.2, 5), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        for max in [0.3, 1.0, 13.0, 47.5, 99.0, 12345.0] {
            let ticks = nice_ticks(max, 5);
            assert!(*ticks.last().unwrap() >= max, "{max}: {ticks:?}");
            assert!(ticks.len() <= 7, "{max}: {ticks:?}");
        }
    }

    #[test]
    fn numbers_drop_needless_decimals() {
        assert_eq!(number(4.0), "4");
        assert_eq!(number(2.25), "2.2");
        assert_eq!(number(0.5), "0.5");
    }

    #[test]
    fn a_bar_chart_is_a_labelled_image_with_bars_in_proportion() {
        let bars = [
            Bar {
                label: "08".into(),
                value: 4.0,
            },
            Bar {
                label: "09".into(),
                value: 8.0,
            },
            Bar {
                label: "10".into(),
                value: 0.0,
            },
        ];
        let axes = Axes {
            x: "Hour",
            y: "Bookings",
        };
        let svg = bar_chart("Bookings per hour", &axes, &bars).into_string();
        assert!(svg.starts_with("<svg class=\"chart\""), "{svg}");
        assert!(svg.contains("role=\"img\" aria-label=\"Bookings per hour\""));
        assert!(svg.contains(">Hour</text>") && svg.contains(">Bookings</text>"));
        let heights: Vec<f64> = svg
            .split("<rect ")
            .skip(1)
            .map(|rect| {
                let at = rect.find("height=\"").unwrap() + 8;
                rect[at..at + rect[at..].find('"').unwrap()]
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(heights.len(), 3);
        assert!((heights[1] - 2.0 * heights[0]).abs() < 1e-6, "{heights:?}");
        assert_eq!(heights[2], 0.0);
        assert!(svg.contains("<title>09: 8</title>"));
    }

    #[test]
    fn a_line_chart_passes_through_every_value_with_its_marks() {
        let axes = Axes {
            x: "Day",
            y: "Expected",
        };
        let svg = line_chart(
            "Forecast",
            &axes,
            &[0.0, 5.0, 10.0],
            &[(0, "Sat 21".into()), (2, "Sun 22".into())],
        )
        .into_string();
        assert!(svg.contains("role=\"img\" aria-label=\"Forecast\""));
        let at = svg.find("points=\"").unwrap() + 8;
        let points = &svg[at..at + svg[at..].find('"').unwrap()];
        assert_eq!(points.split(' ').count(), 3);
        // The highest value sits on the top tick (10) at the top of the plot.
        assert!(points.ends_with(",20.0"), "{points}");
        assert!(svg.contains(">Sat 21</text>") && svg.contains(">Sun 22</text>"));
    }

    #[test]
    fn a_heatmap_cell_carries_its_number_its_title_and_its_link() {
        let rows = [HeatRow {
            label: "Narva & co".into(),
            href: "/staff/day?checkpoint=narva".into(),
            cells: vec![
                HeatCell {
                    share: Some(0.9),
                    text: "90%".into(),
                    title: "Narva, Sat: 90%".into(),
                    href: "/staff/day?checkpoint=narva&date=2026-03-21".into(),
                },
                HeatCell {
                    share: None,
                    text: "–".into(),
                    title: "no windows".into(),
                    href: "/staff/day?checkpoint=narva&date=2026-03-22".into(),
                },
            ],
        }];
        let svg = heatmap(&["Sat\n21".into(), "Sun\n22".into()], &rows).into_string();
        assert!(svg.contains("aria-hidden=\"true\""));
        assert!(svg.contains("Narva &amp; co"), "labels are escaped");
        assert!(svg.contains(&format!("fill=\"{}\"", SCALE[4].fill)));
        assert!(svg.contains("<title>Narva, Sat: 90%</title>"));
        assert!(svg.contains(">90%</text>"));
        assert!(svg.contains("href=\"/staff/day?checkpoint=narva&amp;date=2026-03-21\""));
        assert!(svg.contains(&format!("fill=\"{}\"", NO_DATA.fill)));
        assert!(svg.contains("<tspan") && svg.contains(">21</tspan>"));
        assert_eq!(svg.matches("tabindex=\"-1\"").count(), 3);
        assert!(svg.contains(">0–19%</text>") && svg.contains(">80–100%</text>"));
    }
}
