//! Files an employee picks or drops into the composer, and their upload with progress
//! (`POST /media/send/{conversation}`). Browser-only: the server never runs these.

use crate::i18n::Locale;

/// A file chosen for sending, with what the composer shows before it goes.
#[derive(Clone, Debug)]
pub struct PickedFile {
    pub name: String,
    pub mime: String,
    pub size: u64,
    /// An object URL for an image preview.
    pub preview: Option<String>,
    #[cfg(feature = "hydrate")]
    pub file: send_wrapper::SendWrapper<web_sys::File>,
}

impl PartialEq for PickedFile {
    fn eq(&self, other: &Self) -> bool {
        (&self.name, &self.mime, self.size, &self.preview)
            == (&other.name, &other.mime, other.size, &other.preview)
    }
}

/// "1.2 MB", "340 KB" ("1,2 MB" in Portuguese).
pub fn human_size(locale: Locale, bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        let size = format!("{:.1}", bytes as f64 / (1024.0 * 1024.0));
        let size = match locale {
            Locale::en => size,
            Locale::pt_BR => size.replace('.', ","),
        };
        format!("{size} MB")
    } else {
        // At most 1024: no thousands separator in either language.
        format!("{} KB", bytes.div_ceil(1024))
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::PickedFile;
    use crate::i18n::{td_string, Locale};
    use crate::locale::fill;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    pub fn picked(file: web_sys::File) -> PickedFile {
        let mime = file.type_();
        let preview = mime
            .starts_with("image/")
            .then(|| web_sys::Url::create_object_url_with_blob(&file).ok())
            .flatten();
        PickedFile {
            name: file.name(),
            mime: if mime.is_empty() {
                "application/octet-stream".into()
            } else {
                mime
            },
            size: file.size() as u64,
            preview,
            file: send_wrapper::SendWrapper::new(file),
        }
    }

    /// The first file of a file input's change event.
    pub fn from_input(ev: &web_sys::Event) -> Option<PickedFile> {
        let input: web_sys::HtmlInputElement = ev.target()?.dyn_into().ok()?;
        let file = input.files()?.get(0)?;
        input.set_value("");
        Some(picked(file))
    }

    /// The first file of a drop.
    pub fn from_drop(ev: &web_sys::DragEvent) -> Option<PickedFile> {
        Some(picked(ev.data_transfer()?.files()?.get(0)?))
    }

    pub fn forget_preview(file: &PickedFile) {
        if let Some(url) = &file.preview {
            let _ = web_sys::Url::revoke_object_url(url);
        }
    }

    /// Uploads with XMLHttpRequest (fetch reports no upload progress); `progress` gets
    /// 0.0–1.0. Resolves with the server's error message on a refusal; our own messages
    /// are in `locale`.
    pub async fn upload(
        locale: Locale,
        url: String,
        file: PickedFile,
        progress: impl Fn(f64) + 'static,
    ) -> Result<(), String> {
        let not_started = || td_string!(locale, reply.upload_not_started).to_owned();
        let xhr = web_sys::XmlHttpRequest::new()
            .map_err(|_| td_string!(locale, reply.upload_unsupported).to_owned())?;
        xhr.open("POST", &url).map_err(|_| not_started())?;
        xhr.set_request_header("content-type", &file.mime).ok();
        xhr.set_request_header("accept", "application/json").ok();
        let on_progress =
            Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |ev: web_sys::ProgressEvent| {
                if ev.length_computable() && ev.total() > 0.0 {
                    progress(ev.loaded() / ev.total());
                }
            });
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        }
        let (done_tx, done_rx) = futures::channel::oneshot::channel::<()>();
        let done_tx = std::cell::RefCell::new(Some(done_tx));
        let on_end = Closure::<dyn Fn()>::new(move || {
            if let Some(tx) = done_tx.borrow_mut().take() {
                let _ = tx.send(());
            }
        });
        xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
        xhr.send_with_opt_blob(Some(&file.file))
            .map_err(|_| not_started())?;
        let _ = done_rx.await;
        drop((on_progress, on_end));
        let status = xhr.status().unwrap_or(0);
        if (200..300).contains(&status) {
            return Ok(());
        }
        let text = xhr.response_text().ok().flatten().unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned));
        Err(message.unwrap_or_else(|| {
            if status == 0 {
                td_string!(locale, reply.upload_connection_lost).to_owned()
            } else {
                fill(
                    td_string!(locale, reply.upload_http_error),
                    &[("status", &status.to_string())],
                )
            }
        }))
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{forget_preview, from_drop, from_input, upload};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        let english = Locale::en;
        assert_eq!(human_size(english, 1), "1 KB");
        assert_eq!(human_size(english, 340 * 1024), "340 KB");
        assert_eq!(human_size(english, 1_258_291), "1.2 MB");
        assert_eq!(human_size(Locale::pt_BR, 1_258_291), "1,2 MB");
    }
}
