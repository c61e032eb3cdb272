//! The menu's icons: one set of outline drawings on a 24×24 grid, stroked in the text's
//! colour (`currentColor`), so they follow the theme, the active item's accent and dark
//! mode. They are inline SVG: no request of their own, and the label next to each says
//! what it is (the drawings are hidden from screen readers).

use leptos::prelude::*;

/// Every drawing of the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconName {
    Conversations,
    Clients,
    Calls,
    Leads,
    Estimates,
    Orders,
    Invoices,
    Settings,
    Sandbox,
    SignOut,
    More,
}

impl IconName {
    pub const ALL: [IconName; 11] = [
        IconName::Conversations,
        IconName::Clients,
        IconName::Calls,
        IconName::Leads,
        IconName::Estimates,
        IconName::Orders,
        IconName::Invoices,
        IconName::Settings,
        IconName::Sandbox,
        IconName::SignOut,
        IconName::More,
    ];

    /// The drawing: SVG path data on the 24×24 grid, stroked 2 px wide with round ends
    /// (a zero-length segment such as `h.01` is a dot).
    fn paths(self) -> &'static [&'static str] {
        match self {
            // A speech bubble with its tail at the bottom left.
            IconName::Conversations => {
                &["M5 4h14a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2h-8l-4 4v-4H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"]
            }
            // Two people, one behind the other.
            IconName::Clients => &[
                "M9 4.5a3.5 3.5 0 1 0 0 7a3.5 3.5 0 1 0 0-7z",
                "M3 20a6 6 0 0 1 12 0",
                "M16 4.6a3.5 3.5 0 0 1 0 6.8",
                "M18 14.5a6 6 0 0 1 3 5.5",
            ],
            // A telephone handset.
            IconName::Calls => &[
                "M5 4h3l2 5-2.5 1.5a11 11 0 0 0 6 6L15 14l5 2v3a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2z",
            ],
            // A funnel: the enquiries that may become work.
            IconName::Leads => &["M3 5h18l-7 8v6l-4 2v-8z"],
            // A calculator.
            IconName::Estimates => &[
                "M7 3h10a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z",
                "M8.5 7h7v2.5h-7z",
                "M9 13.5h.01M12 13.5h.01M15 13.5h.01M9 17h.01M12 17h.01M15 17h.01",
            ],
            // A clipboard with a tick: the job to do.
            IconName::Orders => &[
                "M9 4H7a2 2 0 0 0-2 2v13a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2h-2",
                "M10 2.5h4a1 1 0 0 1 1 1v1a1 1 0 0 1-1 1h-4a1 1 0 0 1-1-1v-1a1 1 0 0 1 1-1z",
                "M9 13.5l2 2 4-4",
            ],
            // A till receipt with a torn edge.
            IconName::Invoices => &[
                "M6 3h12v18l-2-1.5-2 1.5-2-1.5-2 1.5-2-1.5L6 21z",
                "M9 8h6M9 12h6M9 16h3",
            ],
            // A cog wheel of eight teeth around its hole.
            IconName::Settings => &[
                "M18.9 10l2.5.4v3.2l-2.5.4-.6 1.4 1.5 2-2.4 2.4-2-1.5-1.4.6-.4 2.5h-3.2l-.4-2.5-1.4-.6-2 1.5-2.4-2.4 1.5-2-.6-1.4-2.5-.4v-3.2l2.5-.4.6-1.4-1.5-2 2.4-2.4 2 1.5 1.4-.6.4-2.5h3.2l.4 2.5 1.4.6 2-1.5 2.4 2.4-1.5 2z",
                "M12 9a3 3 0 1 0 0 6a3 3 0 1 0 0-6z",
            ],
            // A laboratory flask: the place to try things.
            IconName::Sandbox => &[
                "M9 3h6M10 3v6l-5 9a2 2 0 0 0 1.7 3h10.6a2 2 0 0 0 1.7-3l-5-9V3",
                "M7.5 15h9",
            ],
            // A door frame with an arrow leaving it.
            IconName::SignOut => &[
                "M10 20H6a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h4",
                "M16 16l4-4-4-4M20 12H9",
            ],
            // Three dots in a row.
            IconName::More => &[
                "M5 11a1 1 0 1 0 0 2a1 1 0 1 0 0-2zM12 11a1 1 0 1 0 0 2a1 1 0 1 0 0-2zM19 11a1 1 0 1 0 0 2a1 1 0 1 0 0-2z",
            ],
        }
    }
}

/// An icon of the set, sized by the CSS (`.icon`), for decoration only: the control it
/// sits in carries the words.
#[component]
pub fn Icon(name: IconName) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor"
            stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
            {name.paths().iter().map(|d| view! { <path d=*d/> }).collect_view()}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The menu's problem this set replaces: two items with the same picture.
    #[test]
    fn every_icon_has_its_own_drawing() {
        for (i, a) in IconName::ALL.iter().enumerate() {
            assert!(!a.paths().is_empty(), "{a:?} has no drawing");
            for b in &IconName::ALL[i + 1..] {
                assert_ne!(a.paths(), b.paths(), "{a:?} and {b:?} look alike");
            }
        }
    }

    /// Every coordinate the drawings reach stays on the 24×24 grid, with room for the
    /// 2 px stroke (1 px each side): nothing is clipped at the edge.
    #[test]
    fn drawings_stay_inside_the_grid() {
        for icon in IconName::ALL {
            for d in icon.paths() {
                let points = absolute_points(d);
                assert!(points.len() >= 2, "{icon:?}: {d} has no segments");
                for (x, y) in points {
                    assert!(
                        (1.0..=23.0).contains(&x) && (1.0..=23.0).contains(&y),
                        "{icon:?} reaches ({x}, {y}) in {d}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_path_reader_follows_relative_segments() {
        assert_eq!(
            absolute_points("M5 4h14a2 2 0 0 1 2 2v-.5l-1.5.5z"),
            [
                (5.0, 4.0),
                (19.0, 4.0),
                (21.0, 6.0),
                (21.0, 5.5),
                (19.5, 6.0)
            ]
        );
    }

    /// The end points of a path's segments, in absolute coordinates: enough of SVG's path
    /// grammar for the commands these drawings use (M L H V A Z, upper and lower case).
    fn absolute_points(d: &str) -> Vec<(f64, f64)> {
        let mut tokens = Vec::new();
        let mut number = String::new();
        let flush = |number: &mut String, tokens: &mut Vec<Token>| {
            if !number.is_empty() {
                tokens.push(Token::Number(number.parse().expect(number)));
                number.clear();
            }
        };
        for c in d.chars() {
            match c {
                'A'..='Z' | 'a'..='z' => {
                    flush(&mut number, &mut tokens);
                    tokens.push(Token::Command(c));
                }
                '-' => {
                    flush(&mut number, &mut tokens);
                    number.push(c);
                }
                '.' if number.contains('.') => {
                    flush(&mut number, &mut tokens);
                    number.push(c);
                }
                ' ' | ',' => flush(&mut number, &mut tokens),
                _ => number.push(c),
            }
        }
        flush(&mut number, &mut tokens);

        let (mut x, mut y) = (0.0, 0.0);
        let (mut start_x, mut start_y) = (0.0, 0.0);
        let mut points = Vec::new();
        let mut command = 'M';
        let mut args: Vec<f64> = Vec::new();
        let arity = |c: char| match c.to_ascii_uppercase() {
            'M' | 'L' => 2,
            'H' | 'V' => 1,
            'A' => 7,
            'Z' => 0,
            other => panic!("command {other} is not drawn by these icons"),
        };
        for token in tokens {
            match token {
                Token::Command(c) => {
                    command = c;
                    args.clear();
                    if c.eq_ignore_ascii_case(&'z') {
                        (x, y) = (start_x, start_y);
                    }
                }
                Token::Number(n) => {
                    args.push(n);
                    if args.len() < arity(command) {
                        continue;
                    }
                    let relative = command.is_ascii_lowercase();
                    let (dx, dy) = if relative { (x, y) } else { (0.0, 0.0) };
                    match command.to_ascii_uppercase() {
                        'H' => x = args[0] + dx,
                        'V' => y = args[0] + dy,
                        'A' => (x, y) = (args[5] + dx, args[6] + dy),
                        _ => (x, y) = (args[0] + dx, args[1] + dy),
                    }
                    if command.eq_ignore_ascii_case(&'m') {
                        (start_x, start_y) = (x, y);
                        // Further pairs after a move are lines.
                        command = if relative { 'l' } else { 'L' };
                    }
                    points.push((x, y));
                    args.clear();
                }
            }
        }
        points
    }

    enum Token {
        Command(char),
        Number(f64),
    }
}
