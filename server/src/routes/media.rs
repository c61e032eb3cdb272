//! Media files. `GET /media/{attachment_id}`: a stored file, to a signed-in employee with
//! access to its channel (404 otherwise, so nothing tells them it exists).
//! `GET /media/public/{id}/{expiry}-{signature}`: one of our outbound files, for the
//! provider that delivers it, for a day (the signature is an HMAC only Confab can make,
//! of the file and the expiry). `POST /media/send/{id}`:
//! an employee sends a file. Files are served so that no browser runs them as a page:
//! the stored, checked type, `nosniff`, a sandboxing CSP, and `attachment` for anything
//! that is not an image, audio or video. The employee's routes answer in the employee's
//! language (the language cookie, else Accept-Language); the provider's in English.

use crate::error::{request_locale, ApiError};
use crate::workers::media::{allowed_media_type, media_type_of};
use crate::workers::retention::media_path;
use app::channels::media_rules;
use app::i18n::Locale;
use app::messages::store::{self as messages, NewAttachment, StoredMedia};
use app::messages::{route_text, AttachmentKind, Message, MessageBody};
use app::state::AppState;
use app::store::StoreError;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tower_sessions::Session;

async fn signed_in(state: &AppState, session: &Session) -> Result<app::auth::Employee, ApiError> {
    let employee_id = app::auth::session::employee_id_of(session)
        .await
        .ok_or(ApiError::Unauthorized)?;
    app::auth::store::active_employee(&state.db, employee_id)
        .await?
        .ok_or(ApiError::Unauthorized)
}

pub async fn serve(
    State(state): State<AppState>,
    session: Session,
    Path(attachment): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let locale = request_locale(&headers);
    let served = async {
        let employee = signed_in(&state, &session).await?;
        if !employee.can(app::employees::Permission::Conversations) {
            return Err(ApiError::Forbidden);
        }
        let media = messages::media_for_employee(&state.db, employee.id, attachment)
            .await?
            .ok_or(ApiError::NotFound("File"))?;
        file_response(&state, media).await
    };
    served
        .await
        .unwrap_or_else(|err| in_language(err, locale).into_response_in(locale))
}

/// An error of an employee's route with the names it gives in `locale` (the file, the
/// conversation): those that reach it in English from shared code are renamed here.
fn in_language(err: ApiError, locale: Locale) -> ApiError {
    match err {
        ApiError::NotFound("File") => ApiError::NotFound(route_text::file(locale)),
        ApiError::NotFound("Conversation") => ApiError::NotFound(route_text::conversation(locale)),
        other => other,
    }
}

pub async fn serve_public(
    State(state): State<AppState>,
    Path((attachment, signature)): Path<(i64, String)>,
) -> Result<Response, ApiError> {
    // Expired, forged or of another file: all alike "not found".
    let now = app::store::now_ms() / 1000;
    if !state.secret_key.verify_media(attachment, &signature, now) {
        return Err(ApiError::NotFound("File"));
    }
    let media = messages::outbound_media(&state.db, attachment)
        .await?
        .ok_or(ApiError::NotFound("File"))?;
    file_response(&state, media).await
}

async fn file_response(state: &AppState, media: StoredMedia) -> Result<Response, ApiError> {
    let path =
        media_path(&state.media_dir, &media.storage_key).ok_or(ApiError::NotFound("File"))?;
    // Streamed from the disk (a WhatsApp document may be 100 MB), never read whole.
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| ApiError::NotFound("File"))?;
    let length = file.metadata().await.ok().map(|m| m.len());
    let inline = ["image/", "audio/", "video/"]
        .iter()
        .any(|p| media.mime.starts_with(p));
    let name = safe_file_name(media.file_name.as_deref().unwrap_or("file"));
    let disposition = format!(
        "{}; filename=\"{name}\"",
        if inline { "inline" } else { "attachment" },
    );
    let mut response = Body::from_stream(file_chunks(file)).into_response();
    let headers = response.headers_mut();
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    let content_type = HeaderValue::from_str(&media.mime)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    crate::routes::file_headers(
        headers,
        content_type,
        &disposition,
        "private, max-age=86400",
    );
    Ok(response)
}

/// A file's bytes, 64 KB at a time; a read error ends the stream with it.
fn file_chunks(
    file: tokio::fs::File,
) -> impl futures::Stream<Item = Result<axum::body::Bytes, std::io::Error>> {
    use tokio::io::AsyncReadExt;
    futures::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(axum::body::Bytes::from(buf)), Some(file)))
            }
            Err(err) => Some((Err(err), None)),
        }
    })
}

/// A file name that is safe in a header and on a disk: letters, digits, `._- `, ≤ 100.
pub fn safe_file_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| c.is_alphanumeric() || "._- ".contains(*c))
        .take(100)
        .collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() {
        "file".into()
    } else {
        clean
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendQuery {
    name: String,
    #[serde(default)]
    caption: String,
}

/// An employee sends a file (the body, typed by `Content-Type`), with an optional caption.
/// Checked against the provider's size limit and the reply window before it is stored.
/// Refusals are in the employee's language: the composer shows them.
pub async fn send(
    State(state): State<AppState>,
    session: Session,
    Path(conversation): Path<i64>,
    Query(query): Query<SendQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let locale = request_locale(&headers);
    let conversation = app::ids::ConversationId(conversation);
    match send_file(
        &state,
        &session,
        conversation,
        query,
        &headers,
        body,
        locale,
    )
    .await
    {
        Ok(sent) => Json(sent).into_response(),
        Err(err) => in_language(err, locale).into_response_in(locale),
    }
}

async fn send_file(
    state: &AppState,
    session: &Session,
    conversation: app::ids::ConversationId,
    query: SendQuery,
    headers: &HeaderMap,
    body: Body,
    locale: Locale,
) -> Result<Vec<Message>, ApiError> {
    let employee = signed_in(state, session).await?;
    if !employee.can(app::employees::Permission::Conversations) {
        return Err(ApiError::Forbidden);
    }
    let target = app::conversations::store::ensure_access(&state.db, employee.id, conversation)
        .await
        .map_err(|err| match err {
            StoreError::NotFound(_) => ApiError::NotFound("Conversation"),
            other => other.into(),
        })?;
    // Everything is checked before anything is stored: a refusal leaves nothing behind.
    let caption = match query.caption.trim() {
        "" => None,
        text => Some(MessageBody::parse(locale, text)?),
    };
    if let Some(message) = caption.as_ref().and_then(|c| {
        app::channels::window::provider_limit_error(locale, target.channel_kind, c.as_str())
    }) {
        return Err(ApiError::Invalid {
            field: "caption".into(),
            message,
        });
    }
    if let Some(message) = target.text_refusal(locale, app::store::now_ms()) {
        return Err(ApiError::Invalid {
            field: "file".into(),
            message,
        });
    }
    let mime = media_type_of(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
    );
    if !allowed_media_type(&mime) {
        return Err(ApiError::UnsupportedType(route_text::file_type_refused(
            locale, &mime,
        )));
    }
    // The provider's own table (media_rules): the type it sends, then its size limit.
    let rule = media_rules::check(target.channel_kind, &mime, None).map_err(|_| {
        ApiError::UnsupportedType(media_rules::type_refusal(
            locale,
            target.channel_kind,
            &mime,
        ))
    })?;
    let limit = rule.max_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = |size: usize| {
        ApiError::TooLarge(route_text::file_too_large(
            locale,
            target.channel_kind,
            limit,
            size,
        ))
    };
    if let Some(size) = declared.filter(|size| *size > limit) {
        return Err(too_large(size));
    }

    // The body is read only now, after the session and every check above: nobody makes
    // the server take in a file it would refuse anyway. It streams to the file (never
    // whole in memory) and stops, leaving nothing behind, past the provider's limit.
    let storage_key = format!("out/{}/{:016x}", target.channel_id.0, rand::random::<u64>());
    let path = media_path(&state.media_dir, &storage_key)
        .ok_or(ApiError::Internal("media path".into()))?;
    let size = match store_upload(&path, body, limit).await {
        Ok(size) => size,
        Err(Upload::TooLarge(read)) => return Err(too_large(declared.unwrap_or(read))),
        // The employee's browser went away mid-file: nobody reads this answer.
        Err(Upload::Broken(reason)) => return Err(ApiError::BadRequest(reason)),
        Err(Upload::Disk(err)) => return Err(ApiError::Internal(err)),
    };
    if size == 0 {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(ApiError::BadRequest(
            route_text::file_empty(locale).to_owned(),
        ));
    }

    let kind = match mime.split('/').next() {
        Some("image") => AttachmentKind::Image,
        Some("video") => AttachmentKind::Video,
        Some("audio") => AttachmentKind::Audio,
        _ => AttachmentKind::File,
    };
    let file = NewAttachment {
        kind,
        mime,
        file_name: safe_file_name(&query.name),
        size_bytes: size as i64,
        storage_key,
    };
    // Where the provider shows no text with this type of file (Meta's attachments,
    // WhatsApp audio), the caption follows as its own message: never lost.
    let together = rule.caption;
    let first_caption = if together {
        caption.as_ref().map(MessageBody::as_str).unwrap_or("")
    } else {
        ""
    };
    let queued = queue_file_and_caption(
        state,
        &employee,
        conversation,
        first_caption,
        &file,
        (!together).then_some(caption.as_ref()).flatten(),
        locale,
    )
    .await;
    if queued.is_err() {
        let _ = tokio::fs::remove_file(&path).await;
    }
    queued
}

/// Queues the file's message, then the caption's when it goes on its own.
async fn queue_file_and_caption(
    state: &AppState,
    employee: &app::auth::Employee,
    conversation: app::ids::ConversationId,
    first_caption: &str,
    file: &NewAttachment,
    separate_caption: Option<&MessageBody>,
    locale: Locale,
) -> Result<Vec<Message>, ApiError> {
    let mut sent = Vec::new();
    let (message, events) = messages::queue_outbound_file(
        &state.db,
        employee,
        conversation,
        first_caption,
        file,
        locale,
    )
    .await?;
    state.bus.publish(events);
    sent.push(message);
    if let Some(caption) = separate_caption {
        let (message, events) =
            messages::queue_outbound(&state.db, employee, conversation, caption, None, locale)
                .await?;
        state.bus.publish(events);
        sent.push(message);
    }
    state.outbox.notify_one();
    Ok(sent)
}

/// Why an upload was not stored.
enum Upload {
    /// Past the limit after this many bytes.
    TooLarge(usize),
    /// The connection broke off mid-file.
    Broken(String),
    Disk(String),
}

/// A file being written beside its final name (`{name}.part`): removed when dropped
/// unless [`PartFile::finish`] renamed it into place, so an upload cut off (its request
/// future dropped when the client goes away, or an error) leaves nothing behind.
pub struct PartFile {
    part: std::path::PathBuf,
    done: bool,
}

impl PartFile {
    /// The part file's name for `path`.
    pub fn part_path(path: &std::path::Path) -> std::path::PathBuf {
        let mut name = path.as_os_str().to_owned();
        name.push(".part");
        std::path::PathBuf::from(name)
    }

    pub fn new(path: &std::path::Path) -> Self {
        PartFile {
            part: Self::part_path(path),
            done: false,
        }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.part
    }

    /// Renames the part file to `path`: from then on it stays.
    pub fn finish(mut self, path: &std::path::Path) -> std::io::Result<()> {
        std::fs::rename(&self.part, path)?;
        self.done = true;
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

/// Removes the `*.part` files an upload cut off by a crash left under `dir` (at start).
pub fn sweep_part_files(dir: &std::path::Path) -> usize {
    let mut removed = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => removed += sweep_part_files(&path),
            Ok(t)
                if t.is_file()
                    && path.extension().is_some_and(|e| e == "part")
                    && std::fs::remove_file(&path).is_ok() =>
            {
                removed += 1;
            }
            _ => {}
        }
    }
    removed
}

/// Streams `body` into `path`, at most `limit` bytes; returns the size. The bytes go to
/// `{path}.part`, renamed to `path` once complete; on any failure, or when this future
/// is dropped half-way, the part file is removed.
async fn store_upload(path: &std::path::Path, body: Body, limit: usize) -> Result<usize, Upload> {
    use futures::StreamExt;
    use tokio::io::AsyncWriteExt;
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| Upload::Disk(e.to_string()))?;
    }
    let part = PartFile::new(path);
    let mut out = tokio::fs::File::create(part.path())
        .await
        .map_err(|e| Upload::Disk(e.to_string()))?;
    let mut stream = body.into_data_stream();
    let mut size = 0usize;
    let written = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                // axum's body limit (the route's largest) shows as an error too.
                if size + 1 > limit || e.to_string().contains("length limit") {
                    Upload::TooLarge(size + 1)
                } else {
                    Upload::Broken(e.to_string())
                }
            })?;
            size += chunk.len();
            if size > limit {
                return Err(Upload::TooLarge(size));
            }
            out.write_all(&chunk)
                .await
                .map_err(|e| Upload::Disk(e.to_string()))?;
        }
        out.flush().await.map_err(|e| Upload::Disk(e.to_string()))?;
        out.sync_all()
            .await
            .map_err(|e| Upload::Disk(e.to_string()))?;
        Ok(size)
    }
    .await;
    drop(out);
    // On failure the guard removes the part file as it goes.
    let size = written?;
    part.finish(path).map_err(|e| Upload::Disk(e.to_string()))?;
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_file_name("quote 2026.pdf"), "quote 2026.pdf");
        assert_eq!(safe_file_name("../../etc/passwd"), "etcpasswd");
        assert_eq!(safe_file_name("a\"b\r\nc.png"), "abc.png");
        assert_eq!(safe_file_name("..."), "file");
        assert_eq!(safe_file_name(""), "file");
    }

    #[test]
    fn a_part_file_goes_unless_finished_and_leftovers_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.pdf");
        let part = PartFile::new(&target);
        std::fs::write(part.path(), b"half").unwrap();
        let part_path = part.path().to_owned();
        assert!(part_path.to_string_lossy().ends_with("a.pdf.part"));
        drop(part);
        assert!(!part_path.exists(), "dropped half-way: removed");
        assert!(!target.exists());

        let part = PartFile::new(&target);
        std::fs::write(part.path(), b"whole").unwrap();
        part.finish(&target).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"whole");
        assert!(!PartFile::part_path(&target).exists());

        std::fs::create_dir_all(dir.path().join("7")).unwrap();
        std::fs::write(dir.path().join("7/b.png.part"), b"x").unwrap();
        std::fs::write(dir.path().join("7/b.png"), b"x").unwrap();
        assert_eq!(sweep_part_files(dir.path()), 1);
        assert!(!dir.path().join("7/b.png.part").exists());
        assert!(dir.path().join("7/b.png").exists());
        assert!(target.exists(), "finished files stay");
    }

    #[tokio::test]
    async fn an_upload_dropped_half_way_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("u/c.bin");
        let (tx, rx) = futures::channel::mpsc::unbounded::<Result<Vec<u8>, std::io::Error>>();
        tx.unbounded_send(Ok(vec![1u8; 1024])).unwrap();
        let body = Body::from_stream(rx);
        let upload = store_upload(&target, body, 1 << 20);
        // The client goes away half-way: the handler's future is dropped.
        let cut = tokio::time::timeout(std::time::Duration::from_millis(200), upload).await;
        assert!(cut.is_err(), "still waiting for the rest");
        drop(tx);
        assert!(!target.exists());
        assert!(
            !PartFile::part_path(&target).exists(),
            "no partial file left"
        );
    }
}
