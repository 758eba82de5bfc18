//! A key's use on its detail page: requests per day over the last 30 days
//! as an SVG bar chart (with the same figures in a table for screen readers
//! and for copying), and the addresses the key was used from.
use leptos::prelude::*;

use super::when;
use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::{UsageDay, UsedFrom};

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 140.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 20.0;

/// Where each bar goes: (x, y, width, height), in the chart's units.
pub fn bars(days: &[UsageDay]) -> Vec<(f64, f64, f64, f64)> {
    let max = days.iter().map(|d| d.requests).max().unwrap_or(0).max(1) as f64;
    let slot = WIDTH / days.len().max(1) as f64;
    let plot = HEIGHT - TOP - BOTTOM;
    days.iter()
        .enumerate()
        .map(|(i, d)| {
            let h = if d.requests == 0 {
                0.0
            } else {
                (d.requests as f64 / max * plot).max(1.0)
            };
            (i as f64 * slot + 1.0, TOP + plot - h, slot - 2.0, h)
        })
        .collect()
}

#[component]
pub fn UsageChart(days: Vec<UsageDay>) -> impl IntoView {
    let i18n = use_i18n();
    let total: u64 = days.iter().map(|d| d.requests).sum();
    let busiest = days.iter().max_by_key(|d| d.requests).cloned();
    let max = busiest.as_ref().map(|d| d.requests).unwrap_or(0);
    let summary = match (&busiest, total) {
        (Some(b), total) if total > 0 => t_string!(
            i18n,
            usage_summary,
            total = total.to_string(),
            day = b.day.clone(),
            count = b.requests.to_string()
        )
        .to_string(),
        _ => t_string!(i18n, usage_none).to_string(),
    };
    let first = days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.day.clone()).unwrap_or_default();
    let rects = bars(&days)
        .into_iter()
        .zip(days.iter())
        .map(|((x, y, w, h), d)| {
            let label = format!("{}: {}", d.day, d.requests);
            view! {
                <rect class="usage-bar" x=x y=y width=w height=h>
                    <title>{label}</title>
                </rect>
            }
        })
        .collect_view();
    let rows = days
        .iter()
        .rev()
        .map(|d| view! { <tr><th scope="row">{d.day.clone()}</th><td>{d.requests}</td><td>{d.refused}</td></tr> })
        .collect_view();
    view! {
        <figure class="usage-chart">
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-labelledby="usage-chart-title usage-chart-desc"
                data-testid="usage-chart"
            >
                <title id="usage-chart-title">{t!(i18n, usage_chart_title)}</title>
                <desc id="usage-chart-desc">{summary.clone()}</desc>
                <line class="usage-axis" x1="0" y1=HEIGHT - BOTTOM x2=WIDTH y2=HEIGHT - BOTTOM></line>
                {rects}
                <text class="usage-label" x="0" y=HEIGHT - 4.0>{first}</text>
                <text class="usage-label" x=WIDTH y=HEIGHT - 4.0 text-anchor="end">{last}</text>
                <text class="usage-label" x="0" y="11">{t!(i18n, usage_axis_max, n = max)}</text>
            </svg>
            <figcaption>{summary}</figcaption>
        </figure>
        <details>
            <summary>{t!(i18n, usage_show_table)}</summary>
            <table class="data-table">
                <caption class="visually-hidden">{t!(i18n, usage_chart_title)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, col_day)}</th>
                        <th scope="col">{t!(i18n, col_requests)}</th>
                        <th scope="col">{t!(i18n, usage_refused)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
}

#[component]
pub fn UsedFromTable(addresses: Vec<UsedFrom>) -> impl IntoView {
    let i18n = use_i18n();
    if addresses.is_empty() {
        return view! { <p>{t!(i18n, used_from_none)}</p> }.into_any();
    }
    view! {
        <table class="data-table" aria-labelledby="used-from-title">
            <thead>
                <tr>
                    <th scope="col">{t!(i18n, col_ip)}</th>
                    <th scope="col">{t!(i18n, col_requests)}</th>
                    <th scope="col">{t!(i18n, col_last_used)}</th>
                </tr>
            </thead>
            <tbody>
                {addresses
                    .into_iter()
                    .map(|a| view! {
                        <tr>
                            <th scope="row"><code>{a.ip}</code></th>
                            <td>{a.requests}</td>
                            <td>{when(&a.last_used_at)}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(requests: u64) -> UsageDay {
        UsageDay {
            day: "2026-11-24".into(),
            requests,
            refused: 0,
        }
    }

    #[test]
    fn bars_scale_to_the_busiest_day_and_empty_days_have_none() {
        let b = bars(&[day(0), day(5), day(10)]);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].3, 0.0);
        let plot = HEIGHT - TOP - BOTTOM;
        assert!((b[2].3 - plot).abs() < 1e-9, "{b:?}");
        assert!((b[1].3 - plot / 2.0).abs() < 1e-9, "{b:?}");
        // Bars stand on the axis and do not overlap.
        for (x, y, w, h) in &b {
            assert!((y + h - (HEIGHT - BOTTOM)).abs() < 1e-9);
            assert!(*w > 0.0 && *x >= 0.0);
        }
        assert!(b[0].0 + b[0].2 < b[1].0);
    }
}
