//! Times in the employee's own time zone. The server cannot know the zone, so it renders
//! no time text; the browser fills it in right after hydration (see [`use_mounted`]).

use leptos::prelude::*;

const DAY_MS: i64 = 86_400_000;
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A calendar date in the browser's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalDate {
    pub year: i32,
    /// 0-based, as in JavaScript.
    pub month: u32,
    pub day: u32,
    pub weekday: u32,
}

/// The local date and (hours, minutes) of an instant. On the server: UTC.
pub fn local_parts(ms: i64) -> (LocalDate, u32, u32) {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        (
            LocalDate {
                year: d.get_full_year() as i32,
                month: d.get_month(),
                day: d.get_date(),
                weekday: d.get_day(),
            },
            d.get_hours(),
            d.get_minutes(),
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        utc_parts(ms)
    }
}

/// Civil date from epoch milliseconds in UTC (Howard Hinnant's algorithm).
pub fn utc_parts(ms: i64) -> (LocalDate, u32, u32) {
    let days = ms.div_euclid(DAY_MS);
    let secs_of_day = ms.rem_euclid(DAY_MS) / 1000;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    let weekday = (days + 4).rem_euclid(7) as u32;
    (
        LocalDate {
            year,
            month: month - 1,
            day,
            weekday,
        },
        (secs_of_day / 3600) as u32,
        ((secs_of_day % 3600) / 60) as u32,
    )
}

pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default()
    }
}

pub fn clock(ms: i64) -> String {
    let (_, h, m) = local_parts(ms);
    format!("{h:02}:{m:02}")
}

/// The list's time: today → 14:02, this week → weekday, older → "12 Mar" (with the year
/// when it is not this year).
pub fn list_time(ms: i64, now: i64) -> String {
    let (date, _, _) = local_parts(ms);
    let (today, _, _) = local_parts(now);
    if date == today {
        clock(ms)
    } else if now - ms < 6 * DAY_MS && ms < now {
        WEEKDAYS[date.weekday as usize].to_owned()
    } else if date.year == today.year {
        format!("{} {}", date.day, &MONTHS[date.month as usize][..3])
    } else {
        format!(
            "{} {} {}",
            date.day,
            &MONTHS[date.month as usize][..3],
            date.year
        )
    }
}

/// A date separator's label: Today, Yesterday, or "12 March" (with the year when not this year).
pub fn day_label(ms: i64, now: i64) -> String {
    let (date, _, _) = local_parts(ms);
    let (today, _, _) = local_parts(now);
    let (yesterday, _, _) = local_parts(now - DAY_MS);
    if date == today {
        "Today".into()
    } else if date == yesterday {
        "Yesterday".into()
    } else if date.year == today.year {
        format!("{} {}", date.day, MONTHS[date.month as usize])
    } else {
        format!("{} {} {}", date.day, MONTHS[date.month as usize], date.year)
    }
}

/// "12 Mar 14:02": a full instant, for archive lines and tooltips.
pub fn date_time(ms: i64) -> String {
    let (date, h, m) = local_parts(ms);
    format!(
        "{} {} {} {h:02}:{m:02}",
        date.day,
        &MONTHS[date.month as usize][..3],
        date.year
    )
}

/// False while rendering on the server and hydrating; true right after the calling
/// component has hydrated in the browser. Time text waits for it so that server and
/// browser render the same first HTML. It is per component on purpose: content streamed
/// in later (inside Suspense) must not see a flag that an earlier part already flipped.
pub fn use_mounted() -> ReadSignal<bool> {
    let (mounted, set_mounted) = signal(false);
    Effect::new(move |_| set_mounted.set(true));
    mounted
}

/// An instant shown in the browser's zone, formatted by `format`.
#[component]
pub fn LocalTime(ms: i64, #[prop(into)] format: Callback<i64, String>) -> impl IntoView {
    let mounted = use_mounted();
    let iso = format!("{ms}");
    view! {
        <time data-ms=iso>{move || if mounted.get() { format.run(ms) } else { String::new() }}</time>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_parts_match_known_dates() {
        // 2026-11-26T14:02:00Z, a Thursday
        let (d, h, m) = utc_parts(1_795_701_720_000);
        assert_eq!(
            (d.year, d.month, d.day, d.weekday, h, m),
            (2026, 10, 26, 4, 14, 2)
        );
        let (d, _, _) = utc_parts(0);
        assert_eq!((d.year, d.month, d.day, d.weekday), (1970, 0, 1, 4));
        let (d, _, _) = utc_parts(951_782_400_000); // 2000-02-29
        assert_eq!((d.year, d.month, d.day), (2000, 1, 29));
    }

    #[test]
    fn labels_follow_the_calendar() {
        let now = 1_795_701_720_000;
        assert_eq!(day_label(now - 60_000, now), "Today");
        assert_eq!(day_label(now - DAY_MS, now), "Yesterday");
        assert_eq!(day_label(now - 10 * DAY_MS, now), "16 November");
        assert_eq!(day_label(now - 400 * DAY_MS, now), "22 October 2025");
        assert_eq!(list_time(now - 60_000, now), "14:01");
        assert_eq!(list_time(now - 2 * DAY_MS, now), "Tue");
        assert_eq!(list_time(now - 10 * DAY_MS, now), "16 Nov");
    }
}
