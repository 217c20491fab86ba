//! A booking code as a QR code the checkpoint's scanner reads, drawn as SVG: one path of dark
//! modules inside the quiet zone the standard asks for.

use maud::{Markup, PreEscaped, html};
use qrcode::{Color, QrCode};

const QUIET_ZONE: usize = 4;

pub fn svg(content: &str, label: &str) -> Markup {
    let Ok(code) = QrCode::new(content.as_bytes()) else {
        return html! {};
    };
    let width = code.width();
    let mut path = String::new();
    for (index, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (index % width + QUIET_ZONE, index / width + QUIET_ZONE);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let size = width + 2 * QUIET_ZONE;
    html! {
        svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {size} {size}"))
            role="img" aria-label=(label) shape-rendering="crispEdges" {
            rect width=(size) height=(size) fill="#ffffff" {}
            path d=(PreEscaped(path)) fill="#000000" {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_becomes_a_square_svg_with_dark_modules() {
        let svg = svg("K7M2QX9P", "QR code").into_string();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("viewBox=\"0 0 29 29\""), "{svg}");
        assert!(svg.matches('M').count() > 100);
    }
}
