//! The simulator's copy of the providers' APIs, which practice channels call instead of
//! the real ones (`ProviderContext::graph_url`, `twilio_url`). Served on 127.0.0.1 only,
//! on a port of this process ([`serve`]), and only for practice channels: a call
//! authorised with a real channel's token finds nothing.
//!
//! It answers as the provider documents: the Send API's `{recipient_id, message_id}`,
//! WhatsApp's `{contacts, messages}`, Twilio's Message resource; and refuses as it does:
//! a message outside the window (Graph code 10, subcode 2018278), Instagram text over
//! 1,000 bytes (code 100), an expired token (code 190 / Twilio 20003), an unknown template
//! (WhatsApp 132001). WhatsApp takes a free-form message outside its 24-hour window and
//! then reports it `failed` with 131047, as the Cloud API does. Receipts follow as the
//! provider's webhooks ([`super::payloads`]).

use super::payloads;
use app::channels::store::ChannelConfig;
use app::channels::{ChannelKind, WhatsappTemplate};
use app::practice::store::{self as practice, NewPracticeMessage};
use app::practice::PracticeStatus;
use app::state::AppState;
use app::store::now_ms;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The Graph API version in the simulator's URLs (as in `CONFAB_GRAPH_API_URL`).
pub const GRAPH_VERSION: &str = "v25.0";

const HOUR_MS: i64 = 3_600_000;
/// Messenger's and Instagram's standard window, and WhatsApp's customer-service window.
const DAY_MS: i64 = 24 * HOUR_MS;
/// The HUMAN_AGENT tag's window.
const WEEK_MS: i64 = 7 * DAY_MS;
/// Instagram's text limit, in bytes.
const INSTAGRAM_TEXT_BYTES: usize = 1000;

/// The simulator's WhatsApp business account has these approved templates.
pub fn templates() -> Vec<WhatsappTemplate> {
    let t = |name: &str, language: &str, body: &str| WhatsappTemplate {
        name: name.into(),
        language: language.into(),
        body: body.into(),
    };
    vec![
        t(
            "retomar_contato",
            "pt_BR",
            "Olá {{1}}! Aqui é da loja. Podemos continuar nossa conversa?",
        ),
        t(
            "pedido_pronto",
            "pt_BR",
            "Olá {{1}}, seu pedido {{2}} está pronto para retirada.",
        ),
        t(
            "follow_up",
            "en_US",
            "Hi {{1}}, this is the shop following up on your request. Reply to continue the conversation.",
        ),
    ]
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/graph/{version}/{node}/messages", post(graph_messages))
        .route(
            "/graph/{version}/{node}/message_templates",
            get(graph_templates),
        )
        .route("/graph/{version}/{node}", get(graph_profile))
        .route(
            "/twilio/2010-04-01/Accounts/{sid}/Messages.json",
            post(twilio_messages),
        )
}

/// Binds the simulator's loopback port; [`serve`] then answers on it. Returns the base URL.
pub async fn bind() -> std::io::Result<(tokio::net::TcpListener, String)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let url = format!("http://{}", listener.local_addr()?);
    Ok((listener, url))
}

/// Serves the simulator's APIs until the server stops.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) {
    let stopped = state.bus.closed();
    let app = routes().with_state(state);
    if let Err(err) = axum::serve(listener, app)
        .with_graceful_shutdown(stopped)
        .await
    {
        tracing::warn!(error = %err, "the practice channels' simulator stopped");
    }
}

/// A Graph API error answer, as Meta writes it.
fn graph_error(code: i64, subcode: Option<i64>, message: &str) -> Response {
    let mut error = json!({
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "PracticeTrace",
    });
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    // Graph answers its errors, an expired token's included, with HTTP 400.
    let status = StatusCode::BAD_REQUEST;
    (status, Json(json!({ "error": error }))).into_response()
}

fn expired_token() -> Response {
    graph_error(
        190,
        Some(463),
        "Error validating access token: Session has expired. (practice channel)",
    )
}

/// Records a message the business sent on the lead's phone; false (logged) when the store
/// failed, and the caller answers as the provider does when it cannot take a message.
async fn record_reply(state: &AppState, message: NewPracticeMessage<'_>) -> bool {
    match practice::insert_message(&state.db, &message).await {
        Ok(_) => true,
        Err(err) => {
            tracing::warn!(error = %err, "practice simulator: could not record a message");
            false
        }
    }
}

/// A file link the lead's page may show: http(s) only (the page renders it as a link).
fn web_link(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(str::to_owned)
}

/// The token of a Graph call: `access_token` in the query, or a Bearer header.
fn graph_token<'a>(headers: &'a HeaderMap, query: &'a HashMap<String, String>) -> Option<&'a str> {
    query.get("access_token").map(String::as_str).or_else(|| {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
    })
}

/// The practice channel whose token this is, among the kinds given; or the refusal.
async fn channel_of_token(
    state: &AppState,
    kinds: &[ChannelKind],
    token: Option<&str>,
) -> Result<ChannelConfig, Response> {
    let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
        graph_error(
            190,
            None,
            "An active access token must be used to query information.",
        )
    })?;
    let internal = |e: app::store::StoreError| {
        tracing::warn!(error = %e, "practice simulator: store error");
        graph_error(
            2,
            None,
            "An unexpected error has occurred. Please retry your request later.",
        )
    };
    for kind in kinds {
        let channels = app::channels::store::of_kind(&state.db, *kind)
            .await
            .map_err(internal)?;
        for channel in channels.into_iter().filter(|c| c.simulated) {
            let Some(config) =
                app::channels::store::config(&state.db, &state.secret_key, channel.id)
                    .await
                    .map_err(internal)?
            else {
                continue;
            };
            if config.credentials.value(practice::token_key(*kind)) == token {
                if practice::token_expired(&state.db, channel.id, token)
                    .await
                    .map_err(internal)?
                {
                    return Err(expired_token());
                }
                return Ok(config);
            }
        }
    }
    Err(graph_error(
        190,
        None,
        "Invalid OAuth access token - Cannot parse access token",
    ))
}

const META_KINDS: [ChannelKind; 3] = [
    ChannelKind::Messenger,
    ChannelKind::Instagram,
    ChannelKind::Whatsapp,
];

/// `POST /{version}/{node}/messages`: the Send API (Messenger, Instagram) and the Cloud
/// API's messages (WhatsApp).
async fn graph_messages(
    State(state): State<AppState>,
    Path((_version, node)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let channel = match channel_of_token(&state, &META_KINDS, graph_token(&headers, &query)).await {
        Ok(channel) => channel,
        Err(refusal) => return refusal,
    };
    if channel.external_id != node {
        return graph_error(
            100,
            Some(33),
            "Unsupported post request. Object does not exist or cannot be loaded.",
        );
    }
    match channel.channel.kind {
        ChannelKind::Whatsapp => whatsapp_message(state, channel, body).await,
        _ => meta_send(state, channel, body).await,
    }
}

/// Messenger's and Instagram's Send API.
async fn meta_send(state: AppState, channel: ChannelConfig, body: Value) -> Response {
    let kind = channel.channel.kind;
    let Some(lead) = body
        .pointer("/recipient/id")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return graph_error(100, None, "(#100) The parameter recipient is required");
    };
    let known = practice::lead(&state.db, channel.channel.id, &lead).await;
    if !matches!(known, Ok(Some(_))) {
        return match kind {
            ChannelKind::Instagram => {
                graph_error(100, Some(2_534_014), "No matching Instagram user")
            }
            _ => graph_error(100, Some(2_018_001), "(#100) No matching user found"),
        };
    }
    if body.get("sender_action").and_then(Value::as_str) == Some("mark_seen") {
        let _ = practice::lead_messages_seen(&state.db, channel.channel.id, &lead).await;
        return Json(json!({ "recipient_id": lead })).into_response();
    }
    if body.get("sender_action").is_some() {
        return Json(json!({ "recipient_id": lead })).into_response();
    }
    let now = now_ms();
    let last = practice::last_from_lead_at(&state.db, channel.channel.id, &lead)
        .await
        .ok()
        .flatten();
    let tagged = body.get("messaging_type").and_then(Value::as_str) == Some("MESSAGE_TAG")
        && body.get("tag").and_then(Value::as_str) == Some("HUMAN_AGENT");
    let window = if tagged { WEEK_MS } else { DAY_MS };
    if last.is_none_or(|last| now - last > window) {
        // Instagram says so with a subcode of its own.
        let subcode = match kind {
            ChannelKind::Instagram => 2_534_022,
            _ => 2_018_278,
        };
        return graph_error(
            10,
            Some(subcode),
            "(#10) This message is sent outside of allowed window.",
        );
    }
    let text = body
        .pointer("/message/text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if kind == ChannelKind::Instagram && text.len() > INSTAGRAM_TEXT_BYTES {
        return graph_error(
            100,
            None,
            "(#100) Length of param message[text] must be less than or equal to 1000",
        );
    }
    let file_url = web_link(body.pointer("/message/attachment/payload/url"));
    if text.is_empty() && file_url.is_none() {
        return graph_error(
            100,
            None,
            "(#100) Param message must be a text or an attachment",
        );
    }
    let metadata = body
        .pointer("/message/metadata")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mid = super::new_provider_id(kind);
    let recorded = record_reply(
        &state,
        NewPracticeMessage {
            channel: channel.channel.id,
            address: &lead,
            provider_id: &mid,
            from_lead: false,
            body: &text,
            file_url: file_url.as_deref(),
            sent_at: now,
            status: PracticeStatus::Sent,
            error: None,
        },
    )
    .await;
    if !recorded {
        return graph_error(
            2,
            None,
            "An unexpected error has occurred. Please retry your request later.",
        );
    }
    // What Meta does next: the echo to the page's webhook, then (Messenger) the delivery.
    let answer = json!({ "recipient_id": lead, "message_id": mid });
    tokio::spawn(async move {
        let object = payloads::meta_object(kind);
        tokio::time::sleep(super::STEP).await;
        let echo = payloads::meta_echo(
            object,
            &channel.external_id,
            &lead,
            &mid,
            &text,
            metadata.as_deref(),
            now,
        );
        super::deliver_json(&state, &channel, &echo).await;
        if kind == ChannelKind::Messenger {
            tokio::time::sleep(super::STEP).await;
            super::until_stored(&state, channel.channel.id, &mid).await;
            let at = now_ms();
            let _ = practice::set_status(
                &state.db,
                channel.channel.id,
                &mid,
                PracticeStatus::Delivered,
                None,
            )
            .await;
            let delivery =
                payloads::meta_delivery(&channel.external_id, &lead, &[mid.as_str()], at);
            super::deliver_json(&state, &channel, &delivery).await;
        }
    });
    Json(answer).into_response()
}

/// WhatsApp Cloud API: a text, media or template message, or the read receipt.
async fn whatsapp_message(state: AppState, channel: ChannelConfig, body: Value) -> Response {
    if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
        return graph_error(
            100,
            None,
            "(#100) The parameter messaging_product is required.",
        );
    }
    if body.get("status").and_then(Value::as_str) == Some("read") {
        // Which lead's message: the simulator marks all of that lead's as seen.
        if let Some(id) = body.get("message_id").and_then(Value::as_str) {
            let _ = mark_seen_by_provider_id(&state, &channel, id).await;
        }
        return Json(json!({ "success": true })).into_response();
    }
    let Some(to) = body.get("to").and_then(Value::as_str).map(str::to_owned) else {
        return graph_error(100, None, "(#100) The parameter to is required.");
    };
    let wa_id = to.trim_start_matches('+').to_owned();
    if wa_id.is_empty() || !wa_id.bytes().all(|b| b.is_ascii_digit()) {
        return graph_error(100, None, "(#100) Invalid parameter to.");
    }
    let kind = body.get("type").and_then(Value::as_str).unwrap_or("text");
    let (text, file_url, template) = match kind {
        "text" => (
            body.pointer("/text/body")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            None,
            false,
        ),
        "template" => {
            let name = body
                .pointer("/template/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let language = body
                .pointer("/template/language/code")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Some(found) = templates()
                .into_iter()
                .find(|t| t.name == name && t.language == language)
            else {
                return graph_error(
                    132_001,
                    None,
                    "(#132001) Template name does not exist in the translation",
                );
            };
            let values: Vec<String> = body
                .pointer("/template/components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|c| c.get("type").and_then(Value::as_str) == Some("body"))
                .flat_map(|c| {
                    c.get("parameters")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                })
                .filter_map(|p| p.get("text").and_then(Value::as_str).map(str::to_owned))
                .collect();
            if values.len() != found.variable_count() {
                return graph_error(
                    132_000,
                    None,
                    "(#132000) Number of parameters does not match the expected number of params",
                );
            }
            (found.render(&values), None, true)
        }
        "image" | "video" | "audio" | "document" | "sticker" => (
            body.pointer(&format!("/{kind}/caption"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            web_link(body.pointer(&format!("/{kind}/link"))),
            false,
        ),
        _ => return graph_error(100, None, "(#100) Invalid parameter type."),
    };
    let now = now_ms();
    let id = channel.channel.id;
    let known = matches!(practice::lead(&state.db, id, &wa_id).await, Ok(Some(_)));
    let last = practice::last_from_lead_at(&state.db, id, &wa_id)
        .await
        .ok()
        .flatten();
    // Accepted now, refused in the status webhook, as the Cloud API does.
    let refusal: Option<(i64, &str)> = if !known {
        Some((131_026, "Message undeliverable"))
    } else if !template && last.is_none_or(|last| now - last > DAY_MS) {
        Some((131_047, "Re-engagement message"))
    } else {
        None
    };
    let wamid = super::new_provider_id(ChannelKind::Whatsapp);
    if known {
        let recorded = record_reply(
            &state,
            NewPracticeMessage {
                channel: id,
                address: &wa_id,
                provider_id: &wamid,
                from_lead: false,
                body: &text,
                file_url: file_url.as_deref(),
                sent_at: now,
                status: if refusal.is_some() {
                    PracticeStatus::Failed
                } else {
                    PracticeStatus::Sent
                },
                error: refusal.map(|(_, title)| title),
            },
        )
        .await;
        if !recorded {
            return graph_error(131_000, None, "Something went wrong");
        }
    }
    let answer = json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": wa_id }],
        "messages": [{ "id": wamid }],
    });
    tokio::spawn(async move {
        let account = channel.credentials.value("business_account_id").to_owned();
        let number = channel.external_id.clone();
        let steps: Vec<(&str, Option<(i64, &str)>)> = match refusal {
            Some(error) => vec![("failed", Some(error))],
            None => vec![("sent", None), ("delivered", None)],
        };
        for (status, error) in steps {
            tokio::time::sleep(super::STEP).await;
            super::until_stored(&state, id, &wamid).await;
            if status == "delivered" {
                let _ =
                    practice::set_status(&state.db, id, &wamid, PracticeStatus::Delivered, None)
                        .await;
            }
            let hook = payloads::whatsapp_status(
                &account,
                &number,
                &wa_id,
                &wamid,
                status,
                error,
                now_ms(),
            );
            super::deliver_json(&state, &channel, &hook).await;
        }
    });
    Json(answer).into_response()
}

/// WhatsApp's read receipt names one of the lead's messages: the lead's phone shows it,
/// and all before it, as read.
async fn mark_seen_by_provider_id(
    state: &AppState,
    channel: &ChannelConfig,
    provider_id: &str,
) -> Result<(), app::store::StoreError> {
    if let Some(address) = practice::address_of(&state.db, channel.channel.id, provider_id).await? {
        practice::lead_messages_seen(&state.db, channel.channel.id, &address).await?;
    }
    Ok(())
}

/// `GET /{version}/{message-template-account}/message_templates`: the approved templates.
async fn graph_templates(
    State(state): State<AppState>,
    Path((_version, account)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let channel = match channel_of_token(
        &state,
        &[ChannelKind::Whatsapp],
        graph_token(&headers, &query),
    )
    .await
    {
        Ok(channel) => channel,
        Err(refusal) => return refusal,
    };
    if channel.credentials.value("business_account_id") != account {
        return graph_error(100, Some(33), "Unsupported get request.");
    }
    let data: Vec<Value> = templates()
        .into_iter()
        .map(|t| {
            json!({
                "name": t.name,
                "language": t.language,
                "status": "APPROVED",
                "category": "UTILITY",
                "components": [{ "type": "BODY", "text": t.body }],
            })
        })
        .collect();
    Json(json!({ "data": data })).into_response()
}

/// `GET /{version}/{user-id}?fields=…`: a lead's profile (Messenger: first and last name;
/// Instagram: name and username).
async fn graph_profile(
    State(state): State<AppState>,
    Path((_version, lead)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let kinds = [ChannelKind::Messenger, ChannelKind::Instagram];
    let channel = match channel_of_token(&state, &kinds, graph_token(&headers, &query)).await {
        Ok(channel) => channel,
        Err(refusal) => return refusal,
    };
    let Ok(Some(found)) = practice::lead(&state.db, channel.channel.id, &lead).await else {
        return graph_error(
            100,
            Some(33),
            "Unsupported get request. Object does not exist.",
        );
    };
    match channel.channel.kind {
        ChannelKind::Instagram => Json(json!({
            "id": lead,
            "name": found.name,
            "username": found.username,
        }))
        .into_response(),
        _ => {
            let (first, last) = found
                .name
                .split_once(' ')
                .map(|(f, l)| (f.to_owned(), l.to_owned()))
                .unwrap_or((found.name.clone(), String::new()));
            Json(json!({ "id": lead, "first_name": first, "last_name": last })).into_response()
        }
    }
}

/// A Twilio REST error, as Twilio writes it.
fn twilio_error(status: StatusCode, code: i64, message: &str) -> Response {
    (
        status,
        Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

/// `POST /2010-04-01/Accounts/{sid}/Messages.json`: sends an SMS (HTTP Basic with the
/// account SID and auth token).
async fn twilio_messages(
    State(state): State<AppState>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    use base64::Engine;
    let unauthorized = || twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let Some((user, token)) = credentials.as_deref().and_then(|c| c.split_once(':')) else {
        return unauthorized();
    };
    if user != sid {
        return unauthorized();
    }
    let channel = match channel_of_token(&state, &[ChannelKind::TwilioSms], Some(token)).await {
        Ok(channel) if channel.credentials.value("account_sid") == sid => channel,
        Ok(_) => return unauthorized(),
        Err(_) => return unauthorized(),
    };
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let (to, from, text) = (
        field("To").to_owned(),
        field("From").to_owned(),
        field("Body").to_owned(),
    );
    if from != channel.external_id {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21606,
            "The From phone number is not a valid, SMS-capable inbound phone number or short code for your account.",
        );
    }
    if app::phone::normalize_international(&to).is_err() {
        return twilio_error(StatusCode::BAD_REQUEST, 21211, "Invalid 'To' Phone Number");
    }
    let file_url = web_link(
        form.get("MediaUrl")
            .map(|u| Value::String(u.clone()))
            .as_ref(),
    );
    if text.is_empty() && file_url.is_none() {
        return twilio_error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    }
    if text.chars().count() > 1600 {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        );
    }
    let id = channel.channel.id;
    let lead = practice::lead(&state.db, id, &to).await.ok().flatten();
    let message_sid = super::new_provider_id(ChannelKind::TwilioSms);
    let now = now_ms();
    if lead.is_some() {
        let recorded = record_reply(
            &state,
            NewPracticeMessage {
                channel: id,
                address: &to,
                provider_id: &message_sid,
                from_lead: false,
                body: &text,
                file_url: file_url.as_deref(),
                sent_at: now,
                status: PracticeStatus::Sent,
                error: None,
            },
        )
        .await;
        if !recorded {
            return twilio_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                20500,
                "Internal Server Error",
            );
        }
    }
    // Twilio's status callbacks: sent, then delivered, or undelivered when the lead's
    // phone is off (30003 Unreachable destination handset) or unknown (30005).
    let outcome: Option<(&'static str, &'static str)> = match &lead {
        None => Some(("30005", "Unknown destination handset")),
        Some(lead) if lead.phone_off => Some(("30003", "Unreachable destination handset")),
        Some(_) => None,
    };
    let callback = form.get("StatusCallback").cloned();
    let answer = json!({
        "sid": message_sid,
        "account_sid": sid,
        "from": from,
        "to": to,
        "body": text,
        "status": "queued",
        "num_segments": "1",
        "api_version": "2010-04-01",
        "date_created": now / 1000,
        "error_code": null,
        "error_message": null,
    });
    let expected_callback =
        crate::channels::webhook_url(&state.public_url, ChannelKind::TwilioSms, id);
    // Confab names the reply in the callback's query (`?confab_id=…`): the same webhook.
    let to_us = callback.as_deref().is_some_and(|c| {
        c.strip_prefix(expected_callback.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('?'))
    });
    if to_us {
        tokio::spawn(async move {
            let steps: Vec<(&str, Option<(&str, &str)>)> = match outcome {
                None => vec![("sent", None), ("delivered", None)],
                Some(error) => vec![("sent", None), ("undelivered", Some(error))],
            };
            for (status, error) in steps {
                tokio::time::sleep(super::STEP).await;
                super::until_stored(&state, id, &message_sid).await;
                let recorded = match (status, error) {
                    ("delivered", _) => Some((PracticeStatus::Delivered, None)),
                    (_, Some((_, reason))) => Some((PracticeStatus::Failed, Some(reason))),
                    _ => None,
                };
                if let Some((practice_status, reason)) = recorded {
                    let _ =
                        practice::set_status(&state.db, id, &message_sid, practice_status, reason)
                            .await;
                }
                let params = payloads::twilio_status(
                    channel.credentials.value("account_sid"),
                    &from,
                    &to,
                    &message_sid,
                    status,
                    error.map(|(code, _)| code),
                );
                super::deliver_form(&state, &channel, &params).await;
            }
        });
    }
    (StatusCode::CREATED, Json(answer)).into_response()
}
