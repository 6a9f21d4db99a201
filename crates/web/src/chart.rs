//! The items-per-day bar chart of a topic page: inline SVG drawn on the server, so it
//! needs no script and no image request. It holds only numbers and dates, never text a
//! feed wrote, and draws with presentation attributes and the stylesheet's classes (the
//! CSP allows no inline style).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The most days a chart shows: the latest ones.
pub const MAX_DAYS: i64 = 90;

/// Bars for the dated `times`, one per day from the first to the last (at most the last
/// [`MAX_DAYS`]); `None` when nothing is dated.
pub fn per_day(times: impl IntoIterator<Item = DateTime<Utc>>) -> Option<String> {
    let mut days: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    for t in times {
        *days.entry(t.date_naive()).or_default() += 1;
    }
    let (&last, _) = days.iter().next_back()?;
    let first = days
        .keys()
        .next()
        .copied()?
        .max(last - Duration::days(MAX_DAYS - 1));
    let span = (last - first).num_days() + 1;
    let top = days
        .range(first..)
        .map(|(_, c)| *c)
        .max()
        .unwrap_or(1)
        .max(1);
    let (width, height, bar) = (600i64, 120i64, 600 / span.max(1));
    let mut svg = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {}\" \
         role=\"img\" aria-label=\"items per day, {first} to {last}\">",
        height + 16
    );
    for (day, count) in days.range(first..) {
        let x = (*day - first).num_days() * bar;
        let h = (i64::from(*count) * height / i64::from(top)).max(1);
        let _ = write!(
            svg,
            "<rect class=\"bar\" fill=\"#4a6fa5\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{h}\">\
             <title>{day}: {count}</title></rect>",
            height - h,
            (bar - 1).max(1)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"0\" y=\"{y}\" font-size=\"11\">{first}</text>\
         <text x=\"{width}\" y=\"{y}\" font-size=\"11\" text-anchor=\"end\">{last}</text></svg>",
        y = height + 13
    );
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bar_per_dated_day() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let svg = per_day([
            t("2026-05-20T10:00:00Z"),
            t("2026-05-20T12:00:00Z"),
            t("2026-05-22T01:00:00Z"),
        ])
        .unwrap();
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("2026-05-20: 2"));
        assert!(per_day([]).is_none());
    }
}
