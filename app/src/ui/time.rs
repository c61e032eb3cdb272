//! Times in the employee's own time zone. The server cannot know the zone, so it renders
//! no time text; the browser fills it in right after hydration (see [`use_mounted`]).

use crate::i18n::{td_string, use_i18n, Locale};
use crate::locale::fill;
use leptos::prelude::*;

const DAY_MS: i64 = 86_400_000;

fn weekday_name(locale: Locale, weekday: u32) -> &'static str {
    match weekday {
        0 => td_string!(locale, time.weekday_0),
        1 => td_string!(locale, time.weekday_1),
        2 => td_string!(locale, time.weekday_2),
        3 => td_string!(locale, time.weekday_3),
        4 => td_string!(locale, time.weekday_4),
        5 => td_string!(locale, time.weekday_5),
        _ => td_string!(locale, time.weekday_6),
    }
}

fn month_name(locale: Locale, month: u32, short: bool) -> &'static str {
    match (month, short) {
        (0, false) => td_string!(locale, time.month_0),
        (1, false) => td_string!(locale, time.month_1),
        (2, false) => td_string!(locale, time.month_2),
        (3, false) => td_string!(locale, time.month_3),
        (4, false) => td_string!(locale, time.month_4),
        (5, false) => td_string!(locale, time.month_5),
        (6, false) => td_string!(locale, time.month_6),
        (7, false) => td_string!(locale, time.month_7),
        (8, false) => td_string!(locale, time.month_8),
        (9, false) => td_string!(locale, time.month_9),
        (10, false) => td_string!(locale, time.month_10),
        (_, false) => td_string!(locale, time.month_11),
        (0, true) => td_string!(locale, time.short_month_0),
        (1, true) => td_string!(locale, time.short_month_1),
        (2, true) => td_string!(locale, time.short_month_2),
        (3, true) => td_string!(locale, time.short_month_3),
        (4, true) => td_string!(locale, time.short_month_4),
        (5, true) => td_string!(locale, time.short_month_5),
        (6, true) => td_string!(locale, time.short_month_6),
        (7, true) => td_string!(locale, time.short_month_7),
        (8, true) => td_string!(locale, time.short_month_8),
        (9, true) => td_string!(locale, time.short_month_9),
        (10, true) => td_string!(locale, time.short_month_10),
        (_, true) => td_string!(locale, time.short_month_11),
    }
}

/// "16 Nov" / "16 de nov.", with the year when `with_year`.
fn calendar_date(locale: Locale, date: LocalDate, short: bool, with_year: bool) -> String {
    let day = date.day.to_string();
    let month = month_name(locale, date.month, short);
    if with_year {
        let year = date.year.to_string();
        fill(
            td_string!(locale, time.day_month_year),
            &[("day", &day), ("month", month), ("year", &year)],
        )
    } else {
        fill(
            td_string!(locale, time.day_month),
            &[("day", &day), ("month", month)],
        )
    }
}

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

/// "14:02": both languages use the 24-hour clock.
pub fn clock(_locale: Locale, ms: i64) -> String {
    let (_, h, m) = local_parts(ms);
    format!("{h:02}:{m:02}")
}

/// The list's time: today → 14:02, this week → weekday, older → "12 Mar" (with the year
/// when it is not this year). Both languages use the 24-hour clock.
pub fn list_time(locale: Locale, ms: i64, now: i64) -> String {
    let (date, _, _) = local_parts(ms);
    let (today, _, _) = local_parts(now);
    if date == today {
        clock(locale, ms)
    } else if now - ms < 6 * DAY_MS && ms < now {
        weekday_name(locale, date.weekday).to_owned()
    } else {
        calendar_date(locale, date, true, date.year != today.year)
    }
}

/// A date separator's label: Today, Yesterday, or "12 March" (with the year when not this year).
pub fn day_label(locale: Locale, ms: i64, now: i64) -> String {
    let (date, _, _) = local_parts(ms);
    let (today, _, _) = local_parts(now);
    let (yesterday, _, _) = local_parts(now - DAY_MS);
    if date == today {
        td_string!(locale, time.today).to_owned()
    } else if date == yesterday {
        td_string!(locale, time.yesterday).to_owned()
    } else {
        calendar_date(locale, date, false, date.year != today.year)
    }
}

/// "12 Mar 2026 14:02": a full instant, for archive lines and tooltips.
pub fn date_time(locale: Locale, ms: i64) -> String {
    let (date, h, m) = local_parts(ms);
    let date = calendar_date(locale, date, true, true);
    let time = format!("{h:02}:{m:02}");
    fill(
        td_string!(locale, time.date_time),
        &[("date", &date), ("time", &time)],
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

/// An instant shown in the browser's zone and the employee's language, formatted by `format`.
#[component]
pub fn LocalTime(ms: i64, format: fn(Locale, i64) -> String) -> impl IntoView {
    let mounted = use_mounted();
    let i18n = use_i18n();
    let iso = format!("{ms}");
    view! {
        <time data-ms=iso>{move || if mounted.get() { format(i18n.get_locale(), ms) } else { String::new() }}</time>
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
        let english = Locale::en;
        assert_eq!(day_label(english, now - 60_000, now), "Today");
        assert_eq!(day_label(english, now - DAY_MS, now), "Yesterday");
        assert_eq!(day_label(english, now - 10 * DAY_MS, now), "16 November");
        assert_eq!(
            day_label(english, now - 400 * DAY_MS, now),
            "22 October 2025"
        );
        assert_eq!(list_time(english, now - 60_000, now), "14:01");
        assert_eq!(list_time(english, now - 2 * DAY_MS, now), "Tue");
        assert_eq!(list_time(english, now - 10 * DAY_MS, now), "16 Nov");
        assert_eq!(date_time(english, now), "26 Nov 2026 14:02");
    }

    #[test]
    fn labels_in_portuguese() {
        let now = 1_795_701_720_000;
        let pt = Locale::pt_BR;
        assert_eq!(day_label(pt, now - 60_000, now), "Hoje");
        assert_eq!(day_label(pt, now - DAY_MS, now), "Ontem");
        assert_eq!(day_label(pt, now - 10 * DAY_MS, now), "16 de novembro");
        assert_eq!(
            day_label(pt, now - 400 * DAY_MS, now),
            "22 de outubro de 2025"
        );
        assert_eq!(list_time(pt, now - 2 * DAY_MS, now), "ter.");
        assert_eq!(list_time(pt, now - 10 * DAY_MS, now), "16 de nov.");
        assert_eq!(date_time(pt, now), "26 de nov. de 2026 às 14:02");
    }
}
