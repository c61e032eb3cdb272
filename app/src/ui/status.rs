//! A document's status as a chip: its name in the employee's language, coloured by what it
//! means for the work (to do, under way, done), so a list can be scanned by colour.

use crate::documents::DocumentKind;
use crate::i18n::{td_string, use_i18n, Locale};
use leptos::prelude::*;

/// What a status means for the work; each has its chip colour (`.status-<class>` in
/// style/main.css).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusTone {
    /// Ours to act on: a lead to answer, an order to start (amber).
    ToDo,
    /// Under way or waiting for the client: sent, in progress (blue).
    UnderWay,
    /// Finished: paid (green).
    Done,
    /// Not started yet (a draft), or a status Confab does not know (grey).
    Neutral,
}

impl StatusTone {
    fn of(status: &str) -> Self {
        match status {
            "open" | "new" | "unpaid" => StatusTone::ToDo,
            "sent" | "in_progress" | "contacted" | "ready" => StatusTone::UnderWay,
            "paid" | "won" | "accepted" | "delivered" => StatusTone::Done,
            _ => StatusTone::Neutral,
        }
    }

    fn class(self) -> &'static str {
        match self {
            StatusTone::ToDo => "status-chip status-todo",
            StatusTone::UnderWay => "status-chip status-under-way",
            StatusTone::Done => "status-chip status-done",
            StatusTone::Neutral => "status-chip status-neutral",
        }
    }
}

/// Every status Confab gives documents: each kind's own (see [`DocumentKind::statuses`])
/// and "open", which leads had before they had statuses of their own.
#[cfg(test)]
const KNOWN_STATUSES: [&str; 15] = [
    "open",
    "new",
    "contacted",
    "won",
    "lost",
    "draft",
    "sent",
    "accepted",
    "declined",
    "in_progress",
    "ready",
    "delivered",
    "unpaid",
    "paid",
    "void",
];

/// A document's status in the employee's language; Portuguese agrees with the kind's
/// gender ("Orçamento enviado", "Fatura enviada"). Any other status is shown as stored.
pub fn status_label(locale: Locale, kind: DocumentKind, status: &str) -> String {
    let feminine = matches!(kind, DocumentKind::Order | DocumentKind::Invoice);
    let label = match (status, feminine) {
        ("open", false) => td_string!(locale, crm.status_open),
        ("open", true) => td_string!(locale, crm.status_open_feminine),
        ("new", false) => td_string!(locale, crm.status_new),
        ("new", true) => td_string!(locale, crm.status_new_feminine),
        ("sent", false) => td_string!(locale, crm.status_sent),
        ("sent", true) => td_string!(locale, crm.status_sent_feminine),
        ("paid", false) => td_string!(locale, crm.status_paid),
        ("paid", true) => td_string!(locale, crm.status_paid_feminine),
        ("draft", _) => td_string!(locale, crm.status_draft),
        ("in_progress", _) => td_string!(locale, crm.status_in_progress),
        ("contacted", _) => td_string!(locale, crm.status_contacted),
        ("won", _) => td_string!(locale, crm.status_won),
        ("lost", _) => td_string!(locale, crm.status_lost),
        ("accepted", _) => td_string!(locale, crm.status_accepted),
        ("declined", _) => td_string!(locale, crm.status_declined),
        ("ready", _) => td_string!(locale, crm.status_ready),
        ("delivered", _) => td_string!(locale, crm.status_delivered),
        ("unpaid", _) => td_string!(locale, crm.status_unpaid),
        ("void", _) => td_string!(locale, crm.status_void),
        (other, _) => other,
    };
    label.to_owned()
}

/// A document's status as a coloured chip.
#[component]
pub fn StatusChip(kind: DocumentKind, status: String) -> impl IntoView {
    let i18n = use_i18n();
    let class = StatusTone::of(&status).class();
    let label = {
        let status = status.clone();
        move || status_label(i18n.get_locale(), kind, &status)
    };
    view! { <span class=class data-status=status>{label}</span> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_documents_start_in_is_known() {
        for kind in DocumentKind::ALL {
            assert!(KNOWN_STATUSES.contains(&kind.first_status()));
            for status in kind.statuses() {
                assert!(KNOWN_STATUSES.contains(status), "{status}");
            }
        }
    }

    #[test]
    fn every_known_status_has_a_name_in_each_language_and_a_colour() {
        for kind in DocumentKind::ALL {
            for status in KNOWN_STATUSES {
                for locale in crate::locale::LOCALES {
                    let label = status_label(locale, kind, status);
                    assert_ne!(label, status, "{status} is not translated ({locale:?})");
                    assert!(!label.contains('_'), "{label}");
                }
                // Not started, or ended without the work: grey on purpose.
                let neutral_allowed = matches!(status, "draft" | "lost" | "declined" | "void");
                assert!(
                    neutral_allowed || StatusTone::of(status) != StatusTone::Neutral,
                    "{status} has no colour"
                );
            }
        }
    }

    #[test]
    fn statuses_read_as_their_meaning() {
        assert_eq!(StatusTone::of("open"), StatusTone::ToDo);
        assert_eq!(StatusTone::of("in_progress"), StatusTone::UnderWay);
        assert_eq!(StatusTone::of("paid"), StatusTone::Done);
        assert_eq!(StatusTone::of("draft"), StatusTone::Neutral);
    }

    #[test]
    fn portuguese_agrees_with_the_kind() {
        assert_eq!(
            status_label(Locale::pt_BR, DocumentKind::Estimate, "sent"),
            "Enviado"
        );
        assert_eq!(
            status_label(Locale::pt_BR, DocumentKind::Invoice, "sent"),
            "Enviada"
        );
        assert_eq!(
            status_label(Locale::pt_BR, DocumentKind::Invoice, "paid"),
            "Paga"
        );
    }

    #[test]
    fn an_unknown_status_shows_as_stored_in_a_neutral_chip() {
        assert_eq!(
            status_label(Locale::pt_BR, DocumentKind::Order, "waiting_parts"),
            "waiting_parts"
        );
        assert_eq!(StatusTone::of("waiting_parts"), StatusTone::Neutral);
    }
}
