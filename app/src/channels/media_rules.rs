//! Which files each provider takes from us, how large, and whether the text goes with
//! them: the one table the upload route (refusing before anything is stored), the
//! composer (refusing before anything is uploaded) and the sender (refusing before the
//! provider is called) all read. The numbers are the providers' documented limits; the
//! pages are cited in `server/tests/fixtures/providers/SOURCES.md` ("Outbound media
//! limits").

use super::ChannelKind;
use crate::i18n::{td_string, Locale};
use crate::locale::fill;

const KB: usize = 1024;
const MB: usize = 1024 * KB;

/// What a file is to a provider: it picks the message type (and the limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileClass {
    Image,
    Audio,
    Video,
    Document,
}

/// One line of the table: files of these types, up to this size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaRule {
    pub class: FileClass,
    /// Media types, lowercase; `image/*` takes any image (the server's own safety check
    /// still refuses SVG and pages).
    pub types: &'static [&'static str],
    /// The formats as the employee knows them, for the refusal: "JPEG, PNG".
    pub formats: &'static str,
    pub max_bytes: usize,
    /// Whether the provider shows a text with this file in one message. When it does not,
    /// the text goes as a second message right after the file.
    pub caption: bool,
}

const fn rule(
    class: FileClass,
    types: &'static [&'static str],
    formats: &'static str,
    max_bytes: usize,
    caption: bool,
) -> MediaRule {
    MediaRule {
        class,
        types,
        formats,
        max_bytes,
        caption,
    }
}

/// WhatsApp Cloud API, "Supported media types": images 5 MB, audio and video 16 MB,
/// documents 100 MB; audio takes no caption.
const WHATSAPP: &[MediaRule] = &[
    rule(
        FileClass::Image,
        &["image/jpeg", "image/png"],
        "JPEG, PNG",
        5 * MB,
        true,
    ),
    rule(
        FileClass::Audio,
        &[
            "audio/aac",
            "audio/amr",
            "audio/mpeg",
            "audio/mp4",
            "audio/ogg",
        ],
        "AAC, AMR, MP3, M4A, OGG (Opus)",
        16 * MB,
        false,
    ),
    rule(
        FileClass::Video,
        &["video/mp4", "video/3gpp", "video/3gp"],
        "MP4, 3GPP",
        16 * MB,
        true,
    ),
    rule(
        FileClass::Document,
        &[
            "text/plain",
            "application/pdf",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ],
        "PDF, TXT, DOC, DOCX, XLS, XLSX, PPT, PPTX",
        100 * MB,
        true,
    ),
];

/// Messenger Platform, "Saving assets": attachments up to 25 MB, images sent by URL (as
/// Confab sends them) 8 MB. A message carries a file or a text, never both.
const MESSENGER: &[MediaRule] = &[
    rule(
        FileClass::Image,
        &["image/*"],
        "JPEG, PNG, GIF",
        8 * MB,
        false,
    ),
    rule(
        FileClass::Audio,
        &["audio/*"],
        "MP3, M4A, AAC, WAV",
        25 * MB,
        false,
    ),
    rule(FileClass::Video, &["video/*"], "MP4, MOV", 25 * MB, false),
    rule(
        FileClass::Document,
        &["application/*", "text/*"],
        "PDF, DOC, XLS, TXT",
        25 * MB,
        false,
    ),
];

/// Instagram messaging ("Send a message", both the Instagram API with Instagram Login
/// and the Messenger API for Instagram): images PNG and JPEG 8 MB; audio and video 25 MB;
/// no documents. A message carries a file or a text, never both.
const INSTAGRAM: &[MediaRule] = &[
    rule(
        FileClass::Image,
        &["image/png", "image/jpeg"],
        "PNG, JPEG",
        8 * MB,
        false,
    ),
    rule(
        FileClass::Audio,
        &[
            "audio/aac",
            "audio/mp4",
            "audio/x-m4a",
            "audio/m4a",
            "audio/wav",
            "audio/x-wav",
            "audio/wave",
            "audio/vnd.wave",
        ],
        "AAC, M4A, WAV, MP4",
        25 * MB,
        false,
    ),
    rule(
        FileClass::Video,
        &[
            "video/mp4",
            "video/ogg",
            "video/x-msvideo",
            "video/avi",
            "video/quicktime",
            "video/webm",
        ],
        "MP4, OGG, AVI, MOV, WEBM",
        25 * MB,
        false,
    ),
];

/// Twilio, "Accepted content types for media": MMS up to 5 MB in all, the text in the
/// same message.
const TWILIO_MMS: &[MediaRule] = &[
    rule(
        FileClass::Image,
        &[
            "image/jpeg",
            "image/jpg",
            "image/gif",
            "image/png",
            "image/bmp",
            "image/tiff",
        ],
        "JPEG, GIF, PNG, BMP, TIFF",
        5 * MB,
        true,
    ),
    rule(
        FileClass::Audio,
        &[
            "audio/basic",
            "audio/l24",
            "audio/mp4",
            "audio/mpeg",
            "audio/ogg",
            "audio/vnd.rn-realaudio",
            "audio/vnd.wave",
            "audio/3gpp",
            "audio/3gpp2",
            "audio/ac3",
            "audio/webm",
            "audio/amr-nb",
            "audio/amr",
            "audio/aac",
        ],
        "MP3, M4A, OGG, AMR, AAC, WAV",
        5 * MB,
        true,
    ),
    rule(
        FileClass::Video,
        &[
            "video/mpeg",
            "video/mp4",
            "video/quicktime",
            "video/webm",
            "video/3gpp",
            "video/3gpp2",
            "video/3gpp-tt",
            "video/h261",
            "video/h263",
            "video/h263-1998",
            "video/h263-2000",
            "video/h264",
        ],
        "MP4, MPEG, MOV, WEBM, 3GPP",
        5 * MB,
        true,
    ),
    rule(
        FileClass::Document,
        &[
            "text/vcard",
            "text/x-vcard",
            "text/csv",
            "text/rtf",
            "text/richtext",
            "text/calendar",
            "text/directory",
            "application/pdf",
            "application/vcard",
            "application/vnd.apple.pkpass",
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ],
        "PDF, vCard, CSV, DOC, XLS, PPT",
        5 * MB,
        true,
    ),
];

/// The built-in sandbox: whatever the server keeps, 25 MB.
const SANDBOX: &[MediaRule] = &[
    rule(
        FileClass::Image,
        &["image/*"],
        "JPEG, PNG, GIF",
        25 * MB,
        true,
    ),
    rule(
        FileClass::Audio,
        &["audio/*"],
        "MP3, M4A, OGG",
        25 * MB,
        true,
    ),
    rule(FileClass::Video, &["video/*"], "MP4, MOV", 25 * MB, true),
    rule(
        FileClass::Document,
        &["application/*", "text/*"],
        "PDF, DOC, XLS, TXT",
        25 * MB,
        true,
    ),
];

/// The table of one kind of channel.
pub fn rules(kind: ChannelKind) -> &'static [MediaRule] {
    match kind {
        ChannelKind::Whatsapp => WHATSAPP,
        ChannelKind::Messenger => MESSENGER,
        ChannelKind::Instagram => INSTAGRAM,
        ChannelKind::TwilioSms => TWILIO_MMS,
        ChannelKind::Sandbox => SANDBOX,
    }
}

/// The bare, lowercase media type: `Audio/OGG; codecs=opus` → `audio/ogg`.
fn bare(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn matches(pattern: &str, mime: &str) -> bool {
    match pattern.strip_suffix("/*") {
        Some(top) => mime.split_once('/').is_some_and(|(t, _)| t == top),
        None => pattern == mime,
    }
}

/// The rule that takes files of type `mime` on a channel of `kind`, if any does.
pub fn rule_for(kind: ChannelKind, mime: &str) -> Option<&'static MediaRule> {
    let mime = bare(mime);
    rules(kind)
        .iter()
        .find(|r| r.types.iter().any(|p| matches(p, &mime)))
}

/// Why a provider cannot take a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaRefusal {
    /// Not a type the provider sends (HTTP 415).
    Type,
    /// Larger than the provider's limit for its type (HTTP 413).
    Size { limit: usize },
}

/// Whether a channel of `kind` can send a file of `mime` and `size` bytes (the size
/// unknown yet: only the type is checked).
pub fn check(
    kind: ChannelKind,
    mime: &str,
    size: Option<usize>,
) -> Result<&'static MediaRule, MediaRefusal> {
    let rule = rule_for(kind, mime).ok_or(MediaRefusal::Type)?;
    match size {
        Some(size) if size > rule.max_bytes => Err(MediaRefusal::Size {
            limit: rule.max_bytes,
        }),
        _ => Ok(rule),
    }
}

/// Whether the provider shows the text with a file of this type (else it goes after it).
pub fn takes_caption(kind: ChannelKind, mime: &str) -> bool {
    rule_for(kind, mime).is_some_and(|r| r.caption)
}

/// The largest file any channel sends: the upload route reads no more than this.
pub fn largest_outbound() -> usize {
    ChannelKind::ALL
        .into_iter()
        .flat_map(|k| rules(k).iter())
        .map(|r| r.max_bytes)
        .max()
        .unwrap_or(25 * MB)
}

/// The largest file Confab keeps from a lead: WhatsApp documents up to 100 MB (what a
/// lead can send there), anything else 25 MB.
pub fn inbound_limit(kind: ChannelKind) -> usize {
    match kind {
        ChannelKind::Whatsapp => 100 * MB,
        _ => 25 * MB,
    }
}

fn class_word(locale: Locale, class: FileClass) -> &'static str {
    match class {
        FileClass::Image => td_string!(locale, messaging.media_class_image),
        FileClass::Audio => td_string!(locale, messaging.media_class_audio),
        FileClass::Video => td_string!(locale, messaging.media_class_video),
        FileClass::Document => td_string!(locale, messaging.media_class_document),
    }
}

/// "images (PNG, JPEG) up to 8 MB; audio (…) up to 25 MB": what a kind takes.
pub fn accepted_summary(locale: Locale, kind: ChannelKind) -> String {
    rules(kind)
        .iter()
        .map(|r| {
            fill(
                td_string!(locale, messaging.media_class_limit),
                &[
                    ("class", class_word(locale, r.class)),
                    ("formats", r.formats),
                    ("limit", &(r.max_bytes / MB).to_string()),
                ],
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The refusal of a file of type `mime` that the channel does not send, in `locale`.
pub fn type_refusal(locale: Locale, kind: ChannelKind, mime: &str) -> String {
    fill(
        td_string!(locale, messaging.media_type_not_for_channel),
        &[
            ("channel", kind.label_in(locale)),
            ("mime", &bare(mime)),
            ("accepted", &accepted_summary(locale, kind)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatsapp_limits_follow_its_documentation() {
        let wa = ChannelKind::Whatsapp;
        assert_eq!(
            check(wa, "image/png", Some(5 * MB)).unwrap().max_bytes,
            5 * MB
        );
        assert_eq!(
            check(wa, "image/jpeg", Some(5 * MB + 1)),
            Err(MediaRefusal::Size { limit: 5 * MB })
        );
        assert_eq!(check(wa, "image/gif", Some(10)), Err(MediaRefusal::Type));
        assert_eq!(check(wa, "image/webp", None), Err(MediaRefusal::Type));
        for audio in [
            "audio/aac",
            "audio/amr",
            "audio/mpeg",
            "audio/mp4",
            "audio/ogg; codecs=opus",
        ] {
            assert_eq!(
                check(wa, audio, Some(16 * MB)).unwrap().class,
                FileClass::Audio
            );
            assert!(check(wa, audio, Some(16 * MB + 1)).is_err());
            assert!(!takes_caption(wa, audio), "{audio}");
        }
        assert!(check(wa, "video/3gpp", Some(16 * MB)).is_ok());
        assert!(check(wa, "video/quicktime", Some(1)).is_err());
        assert!(check(wa, "application/pdf", Some(100 * MB)).is_ok());
        assert!(check(wa, "application/pdf", Some(100 * MB + 1)).is_err());
        assert!(takes_caption(wa, "image/png") && takes_caption(wa, "application/pdf"));
        assert_eq!(inbound_limit(wa), 100 * MB);
    }

    #[test]
    fn instagram_takes_png_and_jpeg_images_audio_and_video_only() {
        let ig = ChannelKind::Instagram;
        assert!(check(ig, "image/png", Some(8 * MB)).is_ok());
        assert!(check(ig, "image/jpeg", Some(8 * MB + 1)).is_err());
        assert_eq!(check(ig, "image/gif", Some(1)), Err(MediaRefusal::Type));
        assert_eq!(
            check(ig, "application/pdf", Some(1)),
            Err(MediaRefusal::Type)
        );
        assert!(check(ig, "video/mp4", Some(25 * MB)).is_ok());
        assert!(check(ig, "audio/wav", Some(25 * MB)).is_ok());
        assert!(!takes_caption(ig, "image/png"));
    }

    #[test]
    fn messenger_and_twilio_limits() {
        let m = ChannelKind::Messenger;
        assert!(check(m, "application/zip", Some(25 * MB)).is_ok());
        assert!(check(m, "video/mp4", Some(25 * MB + 1)).is_err());
        assert_eq!(
            check(m, "image/png", Some(9 * MB)),
            Err(MediaRefusal::Size { limit: 8 * MB })
        );
        assert!(!takes_caption(m, "application/pdf"));
        let sms = ChannelKind::TwilioSms;
        assert!(check(sms, "image/gif", Some(5 * MB)).is_ok());
        assert!(check(sms, "application/pdf", Some(5 * MB + 1)).is_err());
        assert_eq!(
            check(sms, "application/zip", Some(1)),
            Err(MediaRefusal::Type)
        );
        assert!(takes_caption(sms, "image/png"));
        assert_eq!(largest_outbound(), 100 * MB);
    }

    #[test]
    fn refusals_name_what_the_channel_takes_in_both_languages() {
        let en = type_refusal(Locale::en, ChannelKind::Instagram, "application/pdf");
        assert!(
            en.contains("Instagram") && en.contains("application/pdf"),
            "{en}"
        );
        assert!(en.contains("PNG, JPEG") && en.contains("8 MB"), "{en}");
        let pt = type_refusal(Locale::pt_BR, ChannelKind::Instagram, "application/pdf");
        assert!(pt.contains("imagens") && pt.contains("8 MB"), "{pt}");
        assert_ne!(en, pt);
    }
}
