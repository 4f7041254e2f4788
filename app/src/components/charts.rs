//! Charts as plain SVG, drawn the same on the server and in the browser (so a page is readable before, and
//! without, hydration): bars per day, lines per day, a weekday × hour heat map. Each chart comes with its figures
//! as a table and a CSV download (a `data:` link, which needs no script). Why not a chart library:
//! `docs/decisions.md`.

use leptos::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 60.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// A value's text on an axis or in a table.
pub type Format = fn(f64) -> String;

pub fn count(v: f64) -> String {
    format!("{}", v.round() as i64)
}

/// Milliseconds as a short duration: `42 s`, `3 m 05 s`, `2 h 10 m`.
pub fn duration(ms: f64) -> String {
    let s = (ms / 1000.0).round() as i64;
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} m {:02} s", s / 60, s % 60),
        s => format!("{} h {:02} m", s / 3600, (s % 3600) / 60),
    }
}

/// A round number at or above `max`, for the top of an axis.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|m| *m >= max).unwrap_or(max)
}

/// Labels under every n-th point, so at most about 10 show.
fn label_every(points: usize) -> usize {
    points.div_ceil(10).max(1)
}

/// `csv` as a `data:` URL a link can download.
pub fn csv_href(csv: &str) -> String {
    let mut out = String::from("data:text/csv;charset=utf-8,");
    for b in csv.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A CSV field, quoted when it needs to be.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One series of a chart: its name and a value per label (none where there is nothing to show).
#[derive(Clone)]
pub struct Series {
    pub name: &'static str,
    pub values: Vec<Option<f64>>,
}

/// The figures of a chart as a table, with a CSV download named `file`.
#[component]
pub fn FigureTable(
    file: &'static str,
    first: &'static str,
    labels: Vec<String>,
    series: Vec<Series>,
    format: Format,
    /// Appended to the CSV's column names, whose values are raw numbers (`" (ms)"` for durations).
    #[prop(default = "")]
    unit: &'static str,
) -> impl IntoView {
    let mut csv = std::iter::once(first.to_string())
        .chain(series.iter().map(|s| format!("{}{unit}", s.name)))
        .map(|h| csv_field(&h))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for (i, label) in labels.iter().enumerate() {
        let row: Vec<String> = std::iter::once(csv_field(label))
            .chain(series.iter().map(|s| {
                s.values.get(i).copied().flatten().map(|v| format!("{}", v.round() as i64)).unwrap_or_default()
            }))
            .collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    let head = series.iter().map(|s| view! { <th>{s.name}</th> }).collect_view();
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let cells = series
                .iter()
                .map(|s| view! { <td>{s.values.get(i).copied().flatten().map(format).unwrap_or_else(|| "—".into())}</td> })
                .collect_view();
            view! { <tr><td>{label.clone()}</td>{cells}</tr> }
        })
        .collect_view();
    view! {
        <details class="figure-table">
            <summary>"Table"</summary>
            <table class="table"><thead><tr><th>{first}</th>{head}</tr></thead><tbody>{rows}</tbody></table>
        </details>
        <a class="csv" download=file href=csv_href(&csv)>"Download CSV"</a>
    }
    .into_any()
}

/// Bars (one series) or lines (several) over `labels`, with a y axis from 0.
#[component]
pub fn DayChart(
    title: &'static str,
    id: &'static str,
    labels: Vec<String>,
    series: Vec<Series>,
    #[prop(default = count)] format: Format,
    #[prop(optional)] lines: bool,
    #[prop(default = "")] unit: &'static str,
    /// The axis goes at least this high (so an empty or tiny chart still has readable steps).
    #[prop(default = 2.0)]
    least: f64,
) -> impl IntoView {
    let n = labels.len().max(1);
    let max = nice_max(series.iter().flat_map(|s| s.values.iter().flatten().copied()).fold(least, f64::max));
    let plot_w = WIDTH - LEFT;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let step = plot_w / n as f64;
    let y = move |v: f64| TOP + plot_h - v / max * plot_h;
    let x_center = move |i: usize| LEFT + step * (i as f64 + 0.5);
    let grid = [0.0, 0.5, 1.0]
        .iter()
        .map(|f| {
            let v = max * f;
            view! {
                <line class="grid" x1=LEFT x2=WIDTH y1=y(v) y2=y(v)/>
                <text class="axis" x=LEFT - 6.0 y=y(v) + 4.0 text-anchor="end">{format(v)}</text>
            }
        })
        .collect_view();
    let every = label_every(n);
    let x_labels = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, l)| {
            // Dates show as MM-DD.
            let short = if l.len() == 10 { l[5..].to_string() } else { l.clone() };
            view! { <text class="axis" x=x_center(i) y=HEIGHT - 6.0 text-anchor="middle">{short}</text> }
        })
        .collect_view();
    let marks = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let class = format!("series s{k}");
            if lines {
                let points: Vec<String> = s
                    .values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x_center(i), y(v))))
                    .collect();
                let dots = s
                    .values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        v.map(|v| view! { <circle class=class.clone() cx=x_center(i) cy=y(v) r="2.5"><title>{format!("{}: {}", labels[i], format(v))}</title></circle> })
                    })
                    .collect_view();
                view! { <polyline class=class.clone() fill="none" points=points.join(" ")/>{dots} }.into_any()
            } else {
                let bar_w = (step * 0.7).max(1.0);
                s.values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let v = v.unwrap_or(0.0);
                        view! {
                            <rect class=class.clone() x=x_center(i) - bar_w / 2.0 y=y(v) width=bar_w height=(plot_h + TOP - y(v)).max(0.0)>
                                <title>{format!("{}: {}", labels[i], format(v))}</title>
                            </rect>
                        }
                    })
                    .collect_view()
                    .into_any()
            }
        })
        .collect_view();
    let legend = (series.len() > 1).then(|| {
        series.iter().enumerate().map(|(k, s)| view! { <span class=format!("key s{k}")>{s.name}</span> }).collect_view()
    });
    let file: &'static str = match id {
        "chart-chats" => "chats-per-day.csv",
        "chart-messages" => "messages-per-day.csv",
        "chart-visitors" => "visitors-per-day.csv",
        "chart-first-response" => "first-response-per-day.csv",
        "chart-resolution" => "resolution-per-day.csv",
        "chart-missed" => "missed-per-day.csv",
        _ => "figures.csv",
    };
    view! {
        <figure class="card chart" id=id>
            <figcaption><h2>{title}</h2><div class="legend">{legend}</div></figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title preserveAspectRatio="none">
                {grid}{marks}{x_labels}
            </svg>
            <FigureTable file first="Date" labels=labels.clone() series=series.clone() format unit/>
        </figure>
    }
    .into_any()
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Chats started per local weekday (rows, Monday first) and hour (columns).
#[component]
pub fn HeatMap(grid: Vec<Vec<u64>>) -> impl IntoView {
    let max = grid.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    let (cell_w, cell_h, left, top) = (24.0, 20.0, 40.0, 16.0);
    let cells = grid
        .iter()
        .enumerate()
        .flat_map(|(d, hours)| {
            hours.iter().enumerate().map(move |(h, n)| {
                let opacity = if *n == 0 { 0.04 } else { 0.15 + 0.85 * (*n as f64 / max) };
                view! {
                    <rect class="cell" x=left + h as f64 * cell_w y=top + d as f64 * cell_h width=cell_w - 2.0 height=cell_h - 2.0 fill-opacity=format!("{opacity:.2}")>
                        <title>{format!("{} {:02}:00 — {} chats", WEEKDAYS[d], h, n)}</title>
                    </rect>
                }
            })
        })
        .collect_view();
    let rows = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(d, name)| view! { <text class="axis" x=left - 6.0 y=top + d as f64 * cell_h + 14.0 text-anchor="end">{*name}</text> })
        .collect_view();
    let cols = (0..24)
        .step_by(3)
        .map(|h| view! { <text class="axis" x=left + h as f64 * cell_w + 11.0 y=11.0 text-anchor="middle">{format!("{h:02}")}</text> })
        .collect_view();
    let labels: Vec<String> = WEEKDAYS.iter().map(|d| d.to_string()).collect();
    let series: Vec<Series> = (0..24)
        .map(|h| Series {
            name: HOUR_NAMES[h],
            values: grid.iter().map(|hours| hours.get(h).map(|n| *n as f64)).collect(),
        })
        .collect();
    view! {
        <figure class="card chart" id="chart-heatmap">
            <figcaption><h2>"Busiest hours"</h2><span class="muted">"Chats started, by weekday and hour"</span></figcaption>
            <svg viewBox=format!("0 0 {} {}", left + 24.0 * cell_w, top + 7.0 * cell_h) role="img" aria-label="Busiest hours">
                {cols}{rows}{cells}
            </svg>
            <FigureTable file="busiest-hours.csv" first="Weekday" labels series format=count/>
        </figure>
    }
    .into_any()
}

const HOUR_NAMES: [&str; 24] = [
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18",
    "19", "20", "21", "22", "23",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(42_400.0), "42 s");
        assert_eq!(duration(185_000.0), "3 m 05 s");
        assert_eq!(duration(7_800_000.0), "2 h 10 m");
    }

    #[test]
    fn csv_links_and_fields_survive_any_text() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_href("Date,Chats\n"), "data:text/csv;charset=utf-8,Date%2CChats%0A");
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(180.0), 200.0);
        assert_eq!(nice_max(2300.0), 2500.0);
    }
}
