//! A dependency-free SVG line plot of HR@K for K = 1..=50, one line per model.

use std::fmt::Write;

const COLORS: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];

/// Renders the curves (`(model name, HR@1..=K)`) as an SVG document.
pub fn hit_rate_svg(title: &str, curves: &[(String, Vec<f64>)]) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 440.0, 60.0, 180.0, 40.0, 50.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let max_k = curves.iter().map(|c| c.1.len()).max().unwrap_or(1).max(2);
    let max_y = curves
        .iter()
        .flat_map(|c| c.1.iter().copied())
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let y_top = (max_y * 10.0).ceil() / 10.0;
    let x = |k: usize| left + pw * (k as f64 - 1.0) / (max_k as f64 - 1.0);
    let y = |v: f64| top + ph * (1.0 - v / y_top);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="22" text-anchor="middle" font-size="14">{}</text>
"#,
        left + pw / 2.0,
        escape(title)
    );
    for i in 0..=5 {
        let v = y_top * i as f64 / 5.0;
        let (x2, yy, tx, ty) = (left + pw, y(v), left - 6.0, y(v) + 4.0);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{tx}" y="{ty:.1}" text-anchor="end">{v:.2}</text>"##
        );
    }
    for k in [1, 10, 20, 30, 40, 50].into_iter().filter(|&k| k <= max_k) {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{k}</text>"#,
            x(k),
            top + ph + 18.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">K</text><text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">HR@K</text>"#,
        left + pw / 2.0,
        h - 10.0,
        top + ph / 2.0,
        top + ph / 2.0
    );
    let _ = writeln!(
        s,
        r#"<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="black"/>"#
    );
    for (i, (name, curve)) in curves.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<String> = curve
            .iter()
            .enumerate()
            .map(|(k, &v)| format!("{:.1},{:.1}", x(k + 1), y(v)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            points.join(" ")
        );
        let ly = top + 16.0 + 18.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{}" x2="{}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="3"/><text x="{}" y="{}">{}</text>"#,
            w - right + 10.0,
            w - right + 30.0,
            w - right + 36.0,
            ly + 4.0,
            escape(name)
        );
    }
    s.push_str("</svg>\n");
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn svg_has_one_line_per_model() {
        let s = super::hit_rate_svg(
            "t<1>",
            &[
                ("a".into(), vec![0.1, 0.2, 0.3]),
                ("b".into(), vec![0.0, 0.1, 0.1]),
            ],
        );
        assert_eq!(s.matches("<polyline").count(), 2);
        assert!(s.contains("t&lt;1&gt;"));
    }
}
