//! The results: rows, targets (met, or missed by how much) and the Markdown tables.

use std::time::Duration;

/// Percentiles of a set of timings.
pub struct Timings(pub Vec<Duration>);

impl Timings {
    pub fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        percentile_of_sorted(&sorted, p)
    }
}

pub fn percentile_of_sorted<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// A limit on one figure, in the figure's unit.
#[derive(Clone, Copy)]
pub enum Target {
    /// The figure must stay below (or at) the limit.
    AtMost { limit: f64, unit: &'static str },
    /// The figure must reach the limit.
    AtLeast { limit: f64, unit: &'static str },
}

impl Target {
    pub fn describe(&self, prefix: &str) -> String {
        match self {
            Target::AtMost { limit, unit } => format!("{prefix}< {} {unit}", number(*limit)),
            Target::AtLeast { limit, unit } => format!("{prefix}≥ {} {unit}", number(*limit)),
        }
    }

    /// "met", or "missed: … over / short (× the limit)".
    pub fn verdict(&self, value: f64) -> String {
        if !value.is_finite() {
            return "not measured".into();
        }
        match *self {
            Target::AtMost { limit, unit } if value > limit => format!(
                "**missed**: {} {unit} over ({:.1}× the limit)",
                number(value - limit),
                value / limit
            ),
            Target::AtLeast { limit, unit } if value < limit => format!(
                "**missed**: {} {unit} short ({:.0} % of the target)",
                number(limit - value),
                100.0 * value / limit
            ),
            _ => "met".into(),
        }
    }
}

pub fn p95_under_ms(limit: f64) -> Target {
    Target::AtMost { limit, unit: "ms" }
}

/// A number with as many decimals as it needs to be read.
pub fn number(value: f64) -> String {
    let a = value.abs();
    if a >= 100.0 {
        format!("{value:.0}")
    } else if a >= 10.0 {
        format!("{value:.1}")
    } else if a >= 0.1 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

pub struct StoreRow {
    pub name: String,
    pub timings: Timings,
    pub target: Target,
}

/// One server figure: Confab's value beside the baseline measured in the same run.
pub struct ServerRow {
    pub name: String,
    pub confab: f64,
    pub baseline: f64,
    pub unit: &'static str,
    /// Whether the target applies to Confab / baseline (a ratio) rather than to Confab.
    pub target_on_ratio: bool,
    pub target: Target,
}

impl ServerRow {
    fn ratio(&self) -> f64 {
        self.confab / self.baseline
    }
}

pub fn store_table(rows: &[StoreRow]) -> String {
    let mut table =
        String::from("| figure | p50 | p95 | p99 | target | |\n|---|---|---|---|---|---|\n");
    for row in rows {
        let p95 = row.timings.percentile(0.95);
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.name,
            ms(row.timings.percentile(0.50)),
            ms(p95),
            ms(row.timings.percentile(0.99)),
            row.target.describe("p95 "),
            row.target.verdict(p95.as_secs_f64() * 1000.0)
        ));
    }
    table
}

pub fn server_table(rows: &[ServerRow]) -> String {
    let mut table = String::from(
        "| figure | Confab | baseline (same run) | Confab / baseline | target | |\n|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let value = |v: f64| {
            if v.is_finite() {
                format!("{} {}", number(v), row.unit)
            } else {
                "—".into()
            }
        };
        let ratio = row.ratio();
        let ratio_text = if ratio.is_finite() {
            if row.target_on_ratio {
                format!("{:.0} %", ratio * 100.0)
            } else {
                format!("{:.2}×", ratio)
            }
        } else {
            "—".into()
        };
        let (target, verdict) = if row.target_on_ratio {
            (
                row.target.describe("ratio "),
                row.target.verdict(ratio * 100.0),
            )
        } else {
            (row.target.describe(""), row.target.verdict(row.confab))
        };
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.name,
            value(row.confab),
            value(row.baseline),
            ratio_text,
            target,
            verdict
        ));
    }
    table
}

/// The machine: CPU model and count.
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{} CPUs ({model})",
        std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(1)
    )
}

/// Today's date (UTC) as YYYY-MM-DD, without a date crate.
pub fn today() -> String {
    let days = app::store::now_ms() / 86_400_000;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    format!(
        "{}-{:02}-{:02}",
        if month <= 2 { y + 1 } else { y },
        month,
        d
    )
}
