//! Charts as inline SVG, drawn on the server from the numbers the page
//! also shows: horizontal bars (counts by status, decision, attestation
//! result) and columns (per day, per week, a distribution). No script; the
//! colours come from classes the stylesheet defines; each chart has a
//! `<title>` and an `aria-label`, and prints its numbers as text.

use maud::{Markup, html};

/// One bar: its label, its value and its colour class (`good`, `warn`,
/// `bad`, `plain`).
#[derive(Debug, Clone)]
pub struct Bar {
    /// What it counts.
    pub label: String,
    /// How many.
    pub value: u64,
    /// The colour class.
    pub class: &'static str,
}

const WIDTH: u64 = 400;
const LABEL: u64 = 130;
const ROW: u64 = 24;

/// Horizontal bars, longest scaled to the width.
pub fn bars(title: &str, rows: &[Bar]) -> Markup {
    if rows.is_empty() {
        return html! { p.muted { "Nothing to show yet." } };
    }
    let max = rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let span = WIDTH - LABEL - 40;
    let height = rows.len() as u64 * ROW + 4;
    html! {
        svg.chart viewBox={ "0 0 " (WIDTH) " " (height) } role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for (i, row) in rows.iter().enumerate() {
                @let y = i as u64 * ROW;
                @let length = if row.value == 0 { 0 } else { (row.value * span / max).max(2) };
                text x=(LABEL - 8) y=(y + 16) text-anchor="end" { (row.label) }
                rect class=(row.class) x=(LABEL) y=(y + 4) width=(length) height=(ROW - 8) rx="2" {}
                text x=(LABEL + length + 6) y=(y + 16) { (row.value) }
            }
        }
    }
}

/// One series of columns.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    /// Its name, for the legend.
    pub name: &'a str,
    /// One value per label.
    pub values: &'a [u64],
}

const HEIGHT: u64 = 160;
const AXIS: u64 = 24;
const LEFT: u64 = 34;

/// Columns per label, the series side by side (classes `s0`, `s1`, ...);
/// every `label_every`th label printed under the axis.
pub fn columns(
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    label_every: usize,
) -> Markup {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0);
    let slots = labels.len().max(1) as u64;
    let slot = (WIDTH - LEFT) / slots;
    let width = (slot.saturating_sub(4) / series.len().max(1) as u64).max(1);
    let plot = HEIGHT - AXIS;
    let scale = max.max(1);
    html! {
        svg.chart viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            line x1=(LEFT) y1=(plot) x2=(WIDTH) y2=(plot) {}
            text.axis x=(LEFT - 6) y="12" text-anchor="end" { (max) }
            text.axis x=(LEFT - 6) y=(plot) text-anchor="end" { "0" }
            @for (i, label) in labels.iter().enumerate() {
                @let x = LEFT + i as u64 * slot + 2;
                @for (k, s) in series.iter().enumerate() {
                    @let value = s.values.get(i).copied().unwrap_or(0);
                    @let h = value * (plot - 14) / scale;
                    @if value > 0 {
                        rect class={ "s" (k) } x=(x + k as u64 * width) y=(plot - h) width=(width) height=(h) {
                            title { (label) " · " (s.name) ": " (value) }
                        }
                    }
                }
                @if i % label_every.max(1) == 0 {
                    text.axis x=(x + slot / 2) y=(HEIGHT - 6) text-anchor="middle" { (label) }
                }
            }
        }
        @if series.len() > 1 {
            p.legend {
                @for (k, s) in series.iter().enumerate() {
                    i class={ "s" (k) } {} (s.name) " " (s.values.iter().sum::<u64>())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_longest_and_print_their_numbers() {
        let svg = bars(
            "By decision",
            &[
                Bar {
                    label: "compliant".into(),
                    value: 4,
                    class: "good",
                },
                Bar {
                    label: "revoke".into(),
                    value: 2,
                    class: "bad",
                },
            ],
        )
        .into_string();
        assert!(svg.contains("<title>By decision</title>"), "{svg}");
        assert!(svg.contains(r#"width="230""#), "{svg}");
        assert!(svg.contains(r#"width="115""#), "{svg}");
        assert!(svg.contains(">compliant<") && svg.contains(">4<"), "{svg}");
    }

    #[test]
    fn columns_draw_only_non_zero_values_and_a_legend() {
        let labels: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let svg = columns(
            "Per day",
            &labels,
            &[
                Series {
                    name: "rotations",
                    values: &[1, 0, 3],
                },
                Series {
                    name: "revocations",
                    values: &[0, 0, 1],
                },
            ],
            1,
        )
        .into_string();
        assert_eq!(svg.matches("<rect").count(), 3, "{svg}");
        assert!(
            svg.contains("rotations 4") && svg.contains("revocations 1"),
            "{svg}"
        );
        assert!(bars("x", &[]).into_string().contains("Nothing to show"));
    }
}
