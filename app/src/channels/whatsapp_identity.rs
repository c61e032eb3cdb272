//! Who a WhatsApp lead is. WhatsApp names a lead by its wa_id (the number in international
//! form without the plus), which may differ from the number an employee dialled: Brazil's
//! mobiles gained a ninth digit that older accounts' wa_ids lack (or have when the
//! employee left it out), and Mexico's mobiles had a `1` after `52`. Both forms are one
//! lead, one contact, one conversation. Since 2026 a lead may also be known only by its
//! business-scoped user id (BSUID, `US.13491208655302741918`) when it hides its number
//! behind a username.

/// The other forms WhatsApp may give the same number (the number itself not included):
/// `55 DD 9NNNNNNNN` ⇄ `55 DD NNNNNNNN` for a Brazilian mobile (the eight digits starting
/// 6–9; a landline never takes the ninth digit), `521 NNNNNNNNNN` ⇄ `52 NNNNNNNNNN`.
pub fn equivalent_wa_ids(wa_id: &str) -> Vec<String> {
    let digits = wa_id.trim_start_matches('+');
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    let mobile_start = |d: u8| (b'6'..=b'9').contains(&d);
    let mut out = Vec::new();
    if let Some(rest) = digits.strip_prefix("55") {
        let b = rest.as_bytes();
        // Area codes are 11–99.
        if b.len() == 11 && b[0] != b'0' && b[1] != b'0' && b[2] == b'9' && mobile_start(b[3]) {
            out.push(format!("55{}{}", &rest[..2], &rest[3..]));
        } else if b.len() == 10 && b[0] != b'0' && b[1] != b'0' && mobile_start(b[2]) {
            out.push(format!("55{}9{}", &rest[..2], &rest[2..]));
        }
    }
    if let Some(rest) = digits.strip_prefix("52") {
        if rest.len() == 11 && rest.starts_with('1') {
            out.push(format!("52{}", &rest[1..]));
        } else if rest.len() == 10 {
            out.push(format!("521{rest}"));
        }
    }
    out
}

/// A business-scoped user id: two capital letters (the country), a dot, then letters,
/// digits and dots (a parent BSUID has `ENT.`), at most 150 characters in all.
pub fn is_bsuid(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() > 3
        && b.len() <= 150
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_uppercase()
        && b[2] == b'.'
        && b[3..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'.')
        && !id.ends_with('.')
}

/// A wa_id WhatsApp can send to: 8 to 15 digits (an optional leading plus).
pub fn is_wa_id(id: &str) -> bool {
    let digits = id.strip_prefix('+').unwrap_or(id);
    (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brazilian_and_mexican_forms_are_one_number() {
        assert_eq!(equivalent_wa_ids("5511987654321"), ["551187654321"]);
        assert_eq!(equivalent_wa_ids("551187654321"), ["5511987654321"]);
        // A São Paulo landline has no ninth digit to add.
        assert!(equivalent_wa_ids("551133334444").is_empty());
        assert_eq!(equivalent_wa_ids("5215512345678"), ["525512345678"]);
        assert_eq!(equivalent_wa_ids("525512345678"), ["5215512345678"]);
        assert!(equivalent_wa_ids("16505551234").is_empty());
        assert!(equivalent_wa_ids("US.13491208655302741918").is_empty());
    }

    #[test]
    fn bsuids_and_wa_ids() {
        assert!(is_bsuid("US.13491208655302741918"));
        assert!(is_bsuid("US.ENT.11815799212886844830"));
        assert!(!is_bsuid("13491208655302741918"));
        assert!(!is_bsuid("us.1349"));
        assert!(!is_bsuid("US.12 34"));
        assert!(!is_bsuid("US."));
        assert!(is_wa_id("5511987654321"));
        assert!(!is_wa_id("US.13491208655302741918"));
        assert!(!is_wa_id("+55 11"));
        assert!(!is_wa_id("1234567"));
    }
}

#[cfg(feature = "ssr")]
pub mod store {
    //! Keeping both forms of a number on one contact.

    use super::equivalent_wa_ids;
    use crate::ids::ChannelId;
    use crate::store::{now_ms, Db, StoreResult};
    use sqlx::{AnyConnection, Row};
    use std::collections::HashSet;

    /// WhatsApp's send answer named the lead by `wa_id`, another form of the number Confab
    /// used: the contact takes it as its WhatsApp id (its phone stays the number dialled),
    /// so that the lead's answers, which come from that wa_id, land in the same
    /// conversation. Nothing moves when the wa_id already has a contact of its own.
    pub async fn adopt_wa_id(
        db: &Db,
        channel: ChannelId,
        used: &str,
        wa_id: &str,
    ) -> StoreResult<bool> {
        let moved = sqlx::query(
            "UPDATE contacts SET external_id = $3, updated_at = $4
              WHERE channel_id = $1 AND external_id = $2
                AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.channel_id = $1 AND o.external_id = $3)",
        )
        .bind(channel.0)
        .bind(used.to_owned())
        .bind(wa_id.to_owned())
        .bind(now_ms())
        .execute(&db.write)
        .await?;
        Ok(moved.rows_affected() > 0)
    }

    /// Before a WhatsApp batch is written: a lead writing from a wa_id that has no contact,
    /// while another form of the same number has one on that channel (a conversation an
    /// employee started whose send answer was lost, say), is that contact, moved to the
    /// wa_id WhatsApp uses. Returns the leads whose contact keeps its phone: the number
    /// dialled, another form of the wa_id the message gives as phone. One read per lead
    /// with a Brazilian or Mexican mobile; a write only when a contact moves.
    pub async fn follow_equivalent_forms(
        tx: &mut AnyConnection,
        leads: &[(ChannelId, &str)],
    ) -> StoreResult<HashSet<(i64, String)>> {
        let mut keep_phone = HashSet::new();
        let mut seen = HashSet::new();
        for (channel, wa_id) in leads {
            let forms = equivalent_wa_ids(wa_id);
            if forms.is_empty() || !seen.insert((channel.0, *wa_id)) {
                continue;
            }
            // A number has one other form at most.
            let rows = sqlx::query(
                "SELECT ct.external_id, ct.phone FROM contacts ct
                   JOIN channels ch ON ch.id = ct.channel_id AND ch.kind = 'whatsapp'
                  WHERE ct.channel_id = $1 AND (ct.external_id = $2 OR ct.external_id = $3)",
            )
            .bind(channel.0)
            .bind(wa_id.to_string())
            .bind(forms[0].clone())
            .fetch_all(&mut *tx)
            .await?;
            let known: Vec<(String, Option<String>)> = rows
                .iter()
                .map(|r| (r.get::<String, _>(0), r.get::<Option<String>, _>(1)))
                .collect();
            let own = known.iter().find(|(id, _)| id == wa_id);
            let other = known.iter().find(|(id, _)| id != wa_id);
            let phone = match (own, other) {
                (Some((_, phone)), _) => phone.clone(),
                (None, Some((old, phone))) => {
                    sqlx::query(
                        "UPDATE contacts SET external_id = $3 WHERE channel_id = $1 AND external_id = $2",
                    )
                    .bind(channel.0)
                    .bind(old.clone())
                    .bind(wa_id.to_string())
                    .execute(&mut *tx)
                    .await?;
                    phone.clone()
                }
                (None, None) => None,
            };
            if phone.is_some_and(|p| forms.iter().any(|f| p.trim_start_matches('+') == f)) {
                keep_phone.insert((channel.0, wa_id.to_string()));
            }
        }
        Ok(keep_phone)
    }
}
