//! Documents: the work a conversation turns into — leads, estimates, orders, invoices.

use crate::error::AppError;
use crate::ids::{ConversationId, DocumentId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Lead,
    Estimate,
    Order,
    Invoice,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [
        DocumentKind::Lead,
        DocumentKind::Estimate,
        DocumentKind::Order,
        DocumentKind::Invoice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Lead => "lead",
            DocumentKind::Estimate => "estimate",
            DocumentKind::Order => "order",
            DocumentKind::Invoice => "invoice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Lead => "Lead",
            DocumentKind::Estimate => "Estimate",
            DocumentKind::Order => "Work order",
            DocumentKind::Invoice => "Invoice",
        }
    }

    /// The letter that starts its numbers (L-1001, E-1001, O-1001, I-1001).
    pub fn prefix(self) -> &'static str {
        match self {
            DocumentKind::Lead => "L",
            DocumentKind::Estimate => "E",
            DocumentKind::Order => "O",
            DocumentKind::Invoice => "I",
        }
    }

    /// The status a new document starts in.
    pub fn first_status(self) -> &'static str {
        self.statuses()[0]
    }

    /// The statuses a document of this kind may be in, in their usual order.
    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            DocumentKind::Lead => &["new", "contacted", "won", "lost"],
            DocumentKind::Estimate => &["draft", "sent", "accepted", "declined"],
            DocumentKind::Order => &["new", "in_progress", "ready", "delivered"],
            DocumentKind::Invoice => &["unpaid", "paid", "void"],
        }
    }

    pub fn allows_status(self, status: &str) -> bool {
        self.statuses().contains(&status)
    }

    /// The kind a document of this kind converts into: an estimate into a work order, a
    /// work order into an invoice.
    pub fn converts_to(self) -> Option<DocumentKind> {
        match self {
            DocumentKind::Estimate => Some(DocumentKind::Order),
            DocumentKind::Order => Some(DocumentKind::Invoice),
            DocumentKind::Lead | DocumentKind::Invoice => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub number: String,
    pub status: String,
    pub title: String,
    pub amount_cents: i64,
    pub currency: String,
    pub created_at: i64,
    #[serde(default)]
    pub updated_at: i64,
    /// The document this one was converted from.
    #[serde(default)]
    pub source_document_id: Option<DocumentId>,
}

/// A document in a list: with its client's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRow {
    pub document: Document,
    pub client_id: Option<crate::ids::ClientId>,
    pub client_name: Option<String>,
    /// The client's first phone number (E.164), for its hover card.
    pub client_phone: Option<String>,
    /// The same number as people read it (`crate::phone::display`).
    pub client_phone_display: Option<String>,
    pub conversation_id: Option<ConversationId>,
    /// Documents converted from this one (id, kind, number), when visible.
    #[serde(default)]
    pub converted_into: Vec<(DocumentId, DocumentKind, String)>,
    /// The number of the document this one was converted from, when visible.
    #[serde(default)]
    pub source_number: Option<String>,
}

/// Refuses a status that is not one of `kind`'s (message in `locale`).
pub fn check_status(
    locale: crate::i18n::Locale,
    kind: DocumentKind,
    status: &str,
) -> Result<(), AppError> {
    if kind.allows_status(status) {
        Ok(())
    } else {
        Err(AppError::validation(
            "status",
            crate::i18n::td_string!(locale, documents.status_invalid),
        ))
    }
}

/// The Leads / Estimates / Work orders / Invoices pages: newest first, optionally matching
/// `query` in the number, title or client's name; only documents the employee may read
/// (those made from a conversation need its channel).
#[server(endpoint = "list_documents")]
pub async fn list_documents(
    kind: DocumentKind,
    #[server(default)] query: String,
    #[server(default)] status: String,
) -> Result<Vec<DocumentRow>, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    crate::conversations::check_search_text(&query)?;
    let status = status.trim();
    if !status.is_empty() {
        check_status(crate::locale::request_locale(), kind, status)?;
    }
    let state = crate::state::AppState::current()?;
    let filter = store::ListFilter {
        kind: Some(kind),
        status: (!status.is_empty()).then(|| status.to_owned()),
        text: query,
        ..Default::default()
    };
    Ok(store::list(&state.db, employee.id, &filter, 200).await?)
}

/// Documents of one client the employee may read, newest first, a page of
/// [`CLIENT_PAGE`] at a time (`page` from 0).
pub const CLIENT_PAGE: i64 = 25;

#[server(endpoint = "list_client_documents")]
pub async fn list_client_documents(
    client_id: crate::ids::ClientId,
    #[server(default)] page: i64,
) -> Result<(Vec<Document>, bool), AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    if !(0..=1_000_000).contains(&page) {
        return Err(AppError::validation("page", "0..1000000"));
    }
    let state = crate::state::AppState::current()?;
    let mut docs = store::of_client_page(
        &state.db,
        employee.id,
        client_id,
        page * CLIENT_PAGE,
        CLIENT_PAGE + 1,
    )
    .await?;
    let more = docs.len() as i64 > CLIENT_PAGE;
    docs.truncate(CLIENT_PAGE as usize);
    Ok((docs, more))
}

/// What a new document or an edit says (amount as typed, in the user's notation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentInput {
    pub title: String,
    pub amount: String,
    pub status: String,
    pub client_id: Option<crate::ids::ClientId>,
}

/// Validates a document's fields for `kind`; an empty status is the kind's first.
#[cfg(feature = "ssr")]
pub fn check_input(
    locale: crate::i18n::Locale,
    kind: DocumentKind,
    input: &DocumentInput,
) -> Result<store::NewDocument, AppError> {
    let title = crate::employees::check_name(locale, "title", &input.title)?;
    let amount_cents = parse_amount(locale, &input.amount)?;
    let status = match input.status.trim() {
        "" => kind.first_status().to_owned(),
        s => {
            check_status(locale, kind, s)?;
            s.to_owned()
        }
    };
    Ok(store::NewDocument {
        kind,
        title,
        amount_cents,
        status,
        client_id: input.client_id,
    })
}

/// Creates a document from a list page or a client's page (not from a conversation).
#[server(endpoint = "create_client_document", input = leptos::server_fn::codec::Json)]
pub async fn create_client_document(
    kind: DocumentKind,
    input: DocumentInput,
) -> Result<Document, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let new = check_input(crate::locale::request_locale(), kind, &input)?;
    let state = crate::state::AppState::current()?;
    Ok(store::create(&state.db, employee.id, &new, None, None).await?)
}

/// Edits a document's title, amount, status and client.
#[server(endpoint = "update_document", input = leptos::server_fn::codec::Json)]
pub async fn update_document(id: DocumentId, input: DocumentInput) -> Result<Document, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let state = crate::state::AppState::current()?;
    let current = store::by_id(&state.db, employee.id, id)
        .await?
        .ok_or_else(not_found)?;
    let new = check_input(
        crate::locale::request_locale(),
        current.document.kind,
        &input,
    )?;
    Ok(store::update(&state.db, employee.id, id, &new).await?)
}

/// Turns an estimate into a work order, or a work order into an invoice: a new document
/// with the same title, amount, client and conversation, linked to this one.
#[server(endpoint = "convert_document")]
pub async fn convert_document(id: DocumentId) -> Result<Document, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let state = crate::state::AppState::current()?;
    Ok(store::convert(&state.db, employee.id, id).await?)
}

#[cfg(feature = "ssr")]
fn not_found() -> AppError {
    AppError::NotFound(
        crate::i18n::td_string!(crate::locale::request_locale(), account.what_document).to_owned(),
    )
}

#[server(endpoint = "get_document")]
pub async fn get_document(id: DocumentId) -> Result<DocumentRow, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let state = crate::state::AppState::current()?;
    store::by_id(&state.db, employee.id, id)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(
                crate::i18n::td_string!(crate::locale::request_locale(), account.what_document)
                    .to_owned(),
            )
        })
}

/// The most a document may be worth, in cents (a guard against typos, not a business rule).
pub const MAX_AMOUNT_CENTS: i64 = 100_000_000_000;

/// Parses an amount typed by a person: "450", "450.5", "1.234,56" or "1,234.56" → cents.
/// Refusals are in `locale`.
pub fn parse_amount(locale: crate::i18n::Locale, text: &str) -> Result<i64, AppError> {
    use crate::i18n::td_string;
    let invalid = || AppError::validation("amount", td_string!(locale, account.amount_invalid));
    let t: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return Ok(0);
    }
    // The last '.' or ',' followed by 1–2 digits is the decimal mark; others group thousands.
    let (whole, cents) = match t.rfind(['.', ',']) {
        Some(i) if t.len() - i - 1 <= 2 && t.len() - i > 1 => (&t[..i], &t[i + 1..]),
        _ => (t.as_str(), ""),
    };
    let whole: String = whole.chars().filter(|c| *c != '.' && *c != ',').collect();
    if whole.is_empty() && cents.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !cents.chars().all(|c| c.is_ascii_digit())
    {
        return Err(invalid());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| invalid())?
    };
    let cents: i64 = match cents.len() {
        0 => 0,
        1 => cents.parse::<i64>().map_err(|_| invalid())? * 10,
        _ => cents.parse().map_err(|_| invalid())?,
    };
    let total = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or_else(invalid)?;
    if total > MAX_AMOUNT_CENTS {
        return Err(AppError::validation(
            "amount",
            td_string!(locale, account.amount_too_large),
        ));
    }
    Ok(total)
}

/// "R$ 450,00"-style display without locale data: currency code and two decimals.
pub fn format_amount(cents: i64, currency: &str) -> String {
    format!("{currency} {}.{:02}", cents / 100, cents % 100)
}

/// Creates a document from a conversation: linked to it and to its client.
#[server(endpoint = "create_document", input = leptos::server_fn::codec::Json)]
pub async fn create_document(
    conversation_id: ConversationId,
    kind: DocumentKind,
    title: String,
    amount: String,
) -> Result<Document, AppError> {
    let employee =
        crate::auth::session::require_permission(crate::employees::Permission::Documents).await?;
    let locale = crate::locale::request_locale();
    let title = crate::employees::check_name(locale, "title", &title)?;
    let amount_cents = parse_amount(locale, &amount)?;
    let state = crate::state::AppState::current()?;
    let (document, events) = store::create_from_conversation(
        &state.db,
        employee.id,
        conversation_id,
        kind,
        &title,
        amount_cents,
    )
    .await?;
    state.bus.publish(events);
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_in_both_notations() {
        let parse_amount = |text| parse_amount(crate::i18n::Locale::en, text);
        assert_eq!(parse_amount("450").unwrap(), 45_000);
        assert_eq!(parse_amount("450.5").unwrap(), 45_050);
        assert_eq!(parse_amount("450,90").unwrap(), 45_090);
        assert_eq!(parse_amount("1.234,56").unwrap(), 123_456);
        assert_eq!(parse_amount("1,234.56").unwrap(), 123_456);
        assert_eq!(
            parse_amount("1.234").unwrap(),
            123_400,
            "a group of three is thousands"
        );
        assert_eq!(parse_amount("").unwrap(), 0);
        for bad in ["abc", "-5", "1e9", "12.3.4x", "99999999999999999999"] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
        assert_eq!(format_amount(45_090, "BRL"), "BRL 450.90");
    }

    #[test]
    fn amount_refusals_are_in_the_language_asked_for() {
        use crate::i18n::Locale;
        assert_eq!(
            parse_amount(Locale::en, "abc").unwrap_err(),
            AppError::validation("amount", "Enter an amount like 450 or 450.90.")
        );
        assert_eq!(
            parse_amount(Locale::pt_BR, "abc").unwrap_err(),
            AppError::validation("amount", "Digite um valor como 450 ou 450,90.")
        );
        assert_eq!(
            parse_amount(Locale::pt_BR, "9999999999999").unwrap_err(),
            AppError::validation("amount", "Esse valor é alto demais.")
        );
    }
}
