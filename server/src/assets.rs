//! The front end's built files under `/pkg` (the Wasm, its JavaScript glue, the CSS).
//! A gzip copy of each is made once beside it, and browsers that accept gzip get that (the
//! Wasm shrinks to about a third); a release build with `cargo leptos build --release -P`
//! also leaves brotli copies, which browsers that take brotli get instead. When cargo-leptos hashes the file names (`hash-files`),
//! a name changes with its content, so browsers may keep the files for a year; without
//! hashes, they ask again each time (and get a 304 when nothing changed).

use axum::http::{header, HeaderValue};
use axum::Router;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// cargo-leptos writes the hashes beside the server binary; Leptos reads them there.
pub const HASH_FILE: &str = "hash.txt";

/// Whether the front end's file names carry hashes: the hash file is beside this binary.
pub fn hashed_file_names() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(HASH_FILE)))
        .is_some_and(|file| file.is_file())
}

/// Whether a `/pkg` file's name changes with its content: cargo-leptos puts a 22-character
/// hash between its stem and its extension (`confab.B5rzrK4kG7VncktEronqaA.wasm`). The
/// lazily loaded pages' chunks (`chunk_50.wasm`, `split___…_view_1234.wasm`) keep their
/// names from build to build, so browsers must ask for them again.
pub fn content_hashed(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|part| {
            part.len() == 22
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                // Not the loader's placeholder, all underscores, of builds without hashes.
                && part.bytes().any(|b| b.is_ascii_alphanumeric())
        })
}

/// How long browsers may keep a `/pkg` file.
pub fn cache_control(hashed: bool) -> HeaderValue {
    HeaderValue::from_static(if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    })
}

/// The `/pkg` routes: the precompressed copy when the browser takes gzip, else the file;
/// kept for a year when its name carries its content's hash (`hashed`: the build hashes
/// names), else asked for again each time (a 304 when unchanged).
pub fn router<S: Clone + Send + Sync + 'static>(pkg_dir: PathBuf, hashed: bool) -> Router<S> {
    Router::new()
        .nest_service(
            "/pkg",
            tower::ServiceBuilder::new()
                // Caches between us and the browser keep the gzip and the plain answer apart.
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::VARY,
                    HeaderValue::from_static("accept-encoding"),
                ))
                .service(
                    ServeDir::new(pkg_dir)
                        .precompressed_br()
                        .precompressed_gzip(),
                ),
        )
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| async move {
                let name = request.uri().path().rsplit('/').next().unwrap_or_default();
                let keep = hashed && content_hashed(name);
                let mut response = next.run(request).await;
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, cache_control(keep));
                response
            },
        ))
}

/// Files worth compressing: text and Wasm (images and fonts are compressed already).
fn compressible(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("wasm" | "js" | "css" | "json" | "svg" | "html" | "txt")
    )
}

/// Marks the gzip copies Confab wrote (in the gzip header's comment): cargo-leptos's
/// `--precompress` writes its own at a weaker level (about 15 % larger for the Wasm),
/// which are replaced.
pub const OUR_GZIP: &[u8] = b"confab best";

fn is_our_copy(gz: &Path) -> bool {
    let Ok(file) = std::fs::File::open(gz) else {
        return false;
    };
    let mut decoder = flate2::read::GzDecoder::new(file);
    // The header is parsed with the first read.
    let _ = decoder.read(&mut [0u8; 1]);
    decoder
        .header()
        .and_then(|h| h.comment())
        .is_some_and(|c| c == OUR_GZIP)
}

/// Writes `NAME.gz` beside every compressible file of `dir` that has no copy of ours as
/// new as itself; returns how many it wrote. A copy is written to a temporary name first,
/// so a browser never gets half of one.
pub fn precompress(dir: &Path) -> std::io::Result<usize> {
    let mut written = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_file() || !compressible(&path) {
            continue;
        }
        let mut gz = path.clone().into_os_string();
        gz.push(".gz");
        let gz = PathBuf::from(gz);
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        if matches!((modified(&gz), modified(&path)), (Some(copy), Some(file)) if copy >= file)
            && is_our_copy(&gz)
        {
            continue;
        }
        let data = std::fs::read(&path)?;
        let mut encoder = flate2::GzBuilder::new().comment(OUR_GZIP).write(
            Vec::with_capacity(data.len() / 3),
            flate2::Compression::best(),
        );
        encoder.write_all(&data)?;
        let compressed = encoder.finish()?;
        let mut partial = gz.clone().into_os_string();
        partial.push(".partial");
        std::fs::write(&partial, compressed)?;
        std::fs::rename(&partial, &gz)?;
        written += 1;
    }
    Ok(written)
}

/// Precompresses `pkg_dir` in the background; until it is done, files go uncompressed.
pub fn precompress_in_background(pkg_dir: PathBuf) {
    tokio::task::spawn_blocking(move || match precompress(&pkg_dir) {
        Ok(0) => {}
        Ok(written) => {
            tracing::info!(files = written, dir = %pkg_dir.display(), "front-end files compressed")
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            tracing::warn!(error = %err, dir = %pkg_dir.display(), "front-end files not compressed; served as they are")
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn copies_are_made_once_and_read_back_as_the_file() {
        let dir = std::env::temp_dir().join(format!("confab-assets-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let wasm: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.join("confab.wasm"), &wasm).unwrap();
        std::fs::write(dir.join("photo.png"), b"\x89PNG already compressed").unwrap();
        assert_eq!(precompress(&dir).unwrap(), 1);
        let copy = std::fs::read(dir.join("confab.wasm.gz")).unwrap();
        assert!(copy.len() < wasm.len() / 10, "{} bytes", copy.len());
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(copy.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, wasm);
        assert!(!dir.join("photo.png.gz").exists());
        // Up to date: nothing to do; a newer file gets a new copy.
        assert_eq!(precompress(&dir).unwrap(), 0);
        // A copy someone else wrote (cargo-leptos's, at a weaker level) is replaced.
        let mut theirs = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        theirs.write_all(&wasm).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("confab.wasm.gz"), theirs.finish().unwrap()).unwrap();
        assert_eq!(precompress(&dir).unwrap(), 1);
        assert_eq!(std::fs::read(dir.join("confab.wasm.gz")).unwrap(), copy);
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("confab.wasm"), b"new build").unwrap();
        assert_eq!(precompress(&dir).unwrap(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn only_hashed_names_are_kept_for_long() {
        assert_eq!(cache_control(true), "public, max-age=31536000, immutable");
        assert_eq!(cache_control(false), "no-cache");
        for hashed in [
            "confab.B5rzrK4kG7VncktEronqaA.wasm",
            "confab.MSiLil3Q8oKtmtGCf9ObWw.js",
            "confab.d.HThk5eL7u0IWTIbPpN6kOA.ts",
            "__wasm_split.u34wOYbzKl-EuHSydk2EdA.js",
        ] {
            assert!(content_hashed(hashed), "{hashed}");
        }
        for same_name_each_build in [
            "confab.wasm",
            "chunk_50.wasm",
            "split___calls_route_view_6400253039513900411.wasm",
            "__wasm_split.______________________.js",
            "confab.css",
        ] {
            assert!(
                !content_hashed(same_name_each_build),
                "{same_name_each_build}"
            );
        }
    }
}
