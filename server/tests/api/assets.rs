//! The front end's files: gzip for browsers that take it, the right types, and cache
//! headers that make browsers ask again (names without hashes, as in a test build).

use crate::helpers::{client, eventually, spawn_app_with};
use std::io::Read;
use std::time::Duration;

#[tokio::test]
async fn front_end_files_are_served_gzipped_to_browsers_that_take_it() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(pkg.join("confab.wasm"), &wasm).unwrap();
    std::fs::write(
        pkg.join("confab.js"),
        "export function hydrate() {}\n".repeat(200),
    )
    .unwrap();
    let root = site.path().display().to_string();
    let app = spawn_app_with(&[("LEPTOS_SITE_ROOT", root.as_str())]).await;
    let http = client();
    let get = |encoding: Option<&'static str>| {
        let mut request = http.get(app.url("/pkg/confab.wasm"));
        if let Some(encoding) = encoding {
            request = request.header("accept-encoding", encoding);
        }
        request.send()
    };

    // The copies are made in the background at start.
    let compressed = eventually(Duration::from_secs(20), || async {
        get(Some("gzip, deflate, br"))
            .await
            .unwrap()
            .headers()
            .get("content-encoding")
            .is_some_and(|v| v == "gzip")
    })
    .await;
    assert!(compressed, "never served gzipped");
    let response = get(Some("gzip, deflate, br")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/wasm");
    assert_eq!(response.headers()["cache-control"], "no-cache");
    assert!(response.headers()["vary"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    let body = response.bytes().await.unwrap();
    assert!(body.len() < wasm.len() / 10, "{} bytes gzipped", body.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, wasm);

    // A client that takes no gzip gets the file as it is.
    let plain = get(None).await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let last_modified = plain.headers()["last-modified"].clone();
    assert_eq!(plain.bytes().await.unwrap().len(), wasm.len());

    // Unchanged since the last visit: 304, nothing sent again.
    let again = http
        .get(app.url("/pkg/confab.wasm"))
        .header("if-modified-since", last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    let js = http
        .get(app.url("/pkg/confab.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(js.headers()["content-encoding"], "gzip");
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    // A release build made with `--precompress` leaves brotli copies too: browsers that
    // take brotli get those.
    std::fs::write(
        pkg.join("confab.css"),
        "body { color: black; }\n".repeat(100),
    )
    .unwrap();
    std::fs::write(pkg.join("confab.css.br"), b"brotli bytes of the css").unwrap();
    let css = http
        .get(app.url("/pkg/confab.css"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["content-encoding"], "br");
    assert_eq!(&css.bytes().await.unwrap()[..], b"brotli bytes of the css");

    let missing = http.get(app.url("/pkg/nothing.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}
