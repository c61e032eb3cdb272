//! Message text as safe pieces: plain text, and links for http(s) URLs only. Text is
//! always rendered as text nodes, never as HTML.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Link(String),
}

fn is_link(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && word.len() > "https://".len() - 1
}

/// Splits text into plain pieces and http(s) links; whitespace (line breaks too) is kept.
pub fn linkify(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, after) = rest.split_at(word_end);
        // Trailing punctuation usually ends the sentence, not the URL.
        let trimmed = word.trim_end_matches(['.', ',', ')', '!', '?', ';', ':', '"', '\'']);
        if is_link(trimmed) {
            if !plain.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut plain)));
            }
            pieces.push(Piece::Link(trimmed.to_owned()));
            plain.push_str(&word[trimmed.len()..]);
        } else {
            plain.push_str(word);
        }
        let space_end = after
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(after.len());
        plain.push_str(&after[..space_end]);
        rest = &after[space_end..];
    }
    if !plain.is_empty() {
        pieces.push(Piece::Text(plain));
    }
    pieces
}

/// Up to two initials for an avatar.
pub fn initials(name: &str) -> String {
    // A name that is a phone number ("(11) 96978-3570") has no initials: a phone sign.
    if name.chars().any(char::is_numeric) && !name.chars().any(char::is_alphabetic) {
        return "#".into();
    }
    name.split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_skip_punctuation_and_numbers_get_a_sign() {
        assert_eq!(initials("Paula Lima"), "PL");
        assert_eq!(initials("(Bia) souza"), "BS");
        assert_eq!(initials("+55 11 96978-3570"), "#");
        assert_eq!(initials("(11) 96978-3570"), "#");
    }

    /// Everything a lead, a client or an employee writes reaches the page as text nodes:
    /// no view of the app may set HTML from a string (Leptos escapes everything else).
    #[test]
    fn no_view_sets_html_from_a_string() {
        let needles = [["inner", "_html"].concat(), ["inner", "HTML"].concat()];
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        let mut files = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files += 1;
                    let source = std::fs::read_to_string(&path).unwrap();
                    for needle in &needles {
                        assert!(
                            !source.contains(needle.as_str()),
                            "{} uses {needle}",
                            path.display()
                        );
                    }
                }
            }
        }
        assert!(files > 20, "only {files} source files found");
    }

    #[test]
    fn links_are_found_and_punctuation_left_out() {
        assert_eq!(
            linkify("see https://example.com/a?b=1, ok"),
            vec![
                Piece::Text("see ".into()),
                Piece::Link("https://example.com/a?b=1".into()),
                Piece::Text(", ok".into())
            ]
        );
    }

    #[test]
    fn only_http_and_https_become_links() {
        for text in [
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "ftp://x.y",
            "<script>alert(1)</script>",
        ] {
            assert_eq!(linkify(text), vec![Piece::Text(text.into())]);
        }
    }

    #[test]
    fn line_breaks_are_kept() {
        assert_eq!(linkify("a\nb\n\nc"), vec![Piece::Text("a\nb\n\nc".into())]);
    }

    #[test]
    fn initials_take_two_words() {
        assert_eq!(initials("maria da silva"), "MD");
        assert_eq!(initials("João"), "J");
        assert_eq!(initials(""), "");
    }
}

/// A message's text as a paragraph: text nodes and http(s) links, line breaks kept by CSS.
#[leptos::component]
pub fn MessageText(body: String) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let pieces = linkify(&body);
    view! {
        <p class="bubble-text">
            {pieces.into_iter().map(|piece| match piece {
                Piece::Text(text) => text.into_any(),
                Piece::Link(url) => {
                    let href = url.clone();
                    view! { <a href=href target="_blank" rel="noopener noreferrer nofollow">{url}</a> }.into_any()
                }
            }).collect_view()}
        </p>
    }
}
