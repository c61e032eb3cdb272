//! The front end as a browser gets it, from the real `confab` binary serving a built site
//! (`--site`, `target/site` by default): the Wasm and its JavaScript glue that the inbox
//! route references, counted as they go over the wire with `Accept-Encoding: gzip`; and
//! the inbox with 50 conversations in headless Chromium — first contentful paint and the
//! moment hydration is done — driven by `end2end/bench/page.mjs` (playwright-core).

use crate::report::{percentile_of_sorted, ServerRow, Target};
use crate::server::{self, Child, Kind};
use axum::body::Bytes;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How many conversations the inbox holds for the page figure (one page of the list).
pub const CONVERSATIONS: usize = 50;

/// The workspace root: the current folder when it is one, else where this crate was built.
pub fn workspace_root() -> PathBuf {
    let here = std::env::current_dir().unwrap_or_default();
    if here.join("end2end").is_dir() && here.join("bench").is_dir() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(here)
}

/// The built site: `--site DIR`, else `target/site` here or in the workspace root.
pub fn site_dir(given: Option<&str>) -> Result<PathBuf, String> {
    let path = match given {
        Some(dir) => PathBuf::from(dir),
        None if Path::new("target/site/pkg").is_dir() => PathBuf::from("target/site"),
        None => workspace_root().join("target/site"),
    };
    if !path.join("pkg").is_dir() {
        return Err(format!(
            "no built site in {} (no pkg folder): build it with `cargo leptos build --release --precompress` (scripts/bench does), or pass --site DIR",
            path.display()
        ));
    }
    path.canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A `confab` serving the site, its database seeded with the demo (the agent, the sandbox
/// channel), signed in as the agent.
pub struct Site {
    pub child: Child,
    pub channel: i64,
    pub cookie: String,
}

pub async fn start(confab: &Path, dir: &Path, site: &Path) -> Result<Site, String> {
    let (url, channel) = server::demo_database(dir).await?;
    let (mut child, _) = server::spawn_with_site(Kind::Confab, confab, dir, &url, true, site)?;
    child.wait_ready(Duration::from_secs(60)).await?;
    let cookie = crate::http::sign_in(
        &child.url(""),
        app::demo::AGENT_EMAIL,
        app::demo::AGENT_PASSWORD,
    )
    .await?;
    Ok(Site {
        child,
        channel,
        cookie,
    })
}

fn kb(bytes: u64) -> f64 {
    bytes as f64 / 1000.0
}

/// `bytes` in KB, as many decimals as it needs.
fn kb_text(bytes: u64) -> String {
    format!("{} KB", crate::report::number(kb(bytes)))
}

/// The `/pkg/….wasm` and `/pkg/….js` paths an HTML page references, each once.
fn pkg_files(html: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (at, _) in html.match_indices("/pkg/") {
        let name: String = html[at + "/pkg/".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
            .collect();
        let path = format!("/pkg/{name}");
        if (name.ends_with(".wasm") || name.ends_with(".js")) && !found.contains(&path) {
            found.push(path);
        }
    }
    found
}

/// The `/pkg/` modules a JS module imports statically (`from "./x.js"`): they load with it,
/// before the Wasm runs (the lazy pages' loader, with `--split`).
fn static_imports(js: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for keyword in ["from", "import"] {
        for (at, _) in js.match_indices(keyword) {
            let rest = js[at + keyword.len()..].trim_start();
            let Some(rest) = rest
                .strip_prefix(['"', '\''])
                .and_then(|r| r.strip_prefix("./"))
            else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                .collect();
            let path = format!("/pkg/{name}");
            if name.ends_with(".js") && !found.contains(&path) {
                found.push(path);
            }
        }
    }
    found
}

struct Served {
    path: String,
    plain: u64,
    /// As served with `Accept-Encoding: gzip`.
    gzip: u64,
    /// The same file at gzip's best level, for comparison.
    gzip_best: u64,
    brotli: Option<u64>,
}

/// One GET of `path` with `Accept-Encoding: encoding` (none when empty): the
/// `Content-Encoding` answered and the body as it came over the wire (reqwest, built
/// without its decompression features here, leaves the body as sent).
async fn get_encoded(
    http: &reqwest::Client,
    url: &str,
    encoding: &str,
) -> Result<(Option<String>, Bytes), String> {
    let mut request = http.get(url);
    if !encoding.is_empty() {
        request = request.header("accept-encoding", encoding);
    }
    let response = request.send().await.map_err(|e| format!("{url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!(
            "{url} answered {}: the site and the confab binary are not from the same build (build both with `cargo leptos build`, and pass that build's confab with --confab)",
            response.status()
        ));
    }
    let answered = response
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let length = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = response.bytes().await.map_err(|e| format!("{url}: {e}"))?;
    if let Some(length) = length {
        if length != body.len() as u64 {
            return Err(format!(
                "{url}: Content-Length {length}, but {} bytes read (decompressed on the way?)",
                body.len()
            ));
        }
    }
    Ok((answered, body))
}

/// The size of `data` compressed with gzip at its best level (flate2, as `confab` makes
/// its own copies).
fn gzip_best(data: &[u8]) -> u64 {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(data);
    encoder.finish().map(|c| c.len() as u64).unwrap_or(0)
}

/// The Wasm and JS the inbox references, compressed as served: total gzip KB beside the
/// same files uncompressed, and a note.
pub async fn wasm(site: &Site) -> Result<(ServerRow, String), String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let page = http
        .get(site.child.url("/conversations"))
        .header("cookie", &site.cookie)
        .send()
        .await
        .map_err(|e| format!("GET /conversations: {e}"))?;
    if !page.status().is_success() || page.url().path() != "/conversations" {
        return Err(format!(
            "GET /conversations answered {} from {} (not signed in?)",
            page.status(),
            page.url().path()
        ));
    }
    let html = page.text().await.map_err(|e| e.to_string())?;
    let mut files = pkg_files(&html);
    if !files.iter().any(|f| f.ends_with(".wasm")) || !files.iter().any(|f| f.ends_with(".js")) {
        return Err(format!(
            "/conversations references no /pkg/*.wasm and *.js (found {files:?})"
        ));
    }
    for script in files.clone().iter().filter(|f| f.ends_with(".js")) {
        let (_, body) = get_encoded(&http, &site.child.url(script), "").await?;
        for import in static_imports(&String::from_utf8_lossy(&body)) {
            if !files.contains(&import) {
                files.push(import);
            }
        }
    }
    // The server writes its gzip copies in the background after start: until then it
    // answers uncompressed, or (a release site built with --precompress) with
    // cargo-leptos's weaker copies, which it replaces. What it serves for good carries its
    // mark in the gzip header; other copies are taken only if none comes within a minute.
    let started = Instant::now();
    let settle = started + Duration::from_secs(60);
    let deadline = started + Duration::from_secs(180);
    let mut served = Vec::new();
    let mut waited = Duration::ZERO;
    for path in &files {
        let url = site.child.url(path);
        let gzip = loop {
            let head = http
                .head(&url)
                .header("accept-encoding", "gzip")
                .send()
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            let encoding = head.headers().get("content-encoding").cloned();
            if head.status().is_success() && encoding.is_some_and(|e| e == "gzip") {
                match get_encoded(&http, &url, "gzip").await? {
                    (Some(e), body)
                        if e == "gzip" && (confab_gzip(&body) || Instant::now() > settle) =>
                    {
                        waited = started.elapsed();
                        break body.len() as u64;
                    }
                    _ => {}
                }
            } else if !head.status().is_success() {
                // Let the GET say why.
                get_encoded(&http, &url, "gzip").await?;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{path} is still not served gzip-compressed after {} s",
                    started.elapsed().as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        let (plain_encoding, body) = get_encoded(&http, &url, "").await?;
        if plain_encoding.is_some() {
            return Err(format!(
                "{path} came {plain_encoding:?}-encoded without Accept-Encoding"
            ));
        }
        let brotli = match get_encoded(&http, &url, "br").await? {
            (Some(e), brotli) if e == "br" => Some(brotli.len() as u64),
            _ => None,
        };
        let plain = body.len() as u64;
        let gzip_best = tokio::task::spawn_blocking(move || gzip_best(&body))
            .await
            .map_err(|e| e.to_string())?;
        served.push(Served {
            path: path.clone(),
            plain,
            gzip,
            gzip_best,
            brotli,
        });
    }
    let total = |f: fn(&Served) -> u64| served.iter().map(f).sum::<u64>();
    let (gzip, plain) = (total(|s| s.gzip), total(|s| s.plain));
    let each: Vec<String> = served
        .iter()
        .map(|s| {
            format!(
                "`{}` {} gzip ({} uncompressed{})",
                s.path,
                kb_text(s.gzip),
                kb_text(s.plain),
                s.brotli
                    .map(|b| format!(", {} brotli", kb_text(b)))
                    .unwrap_or_default()
            )
        })
        .collect();
    let wasm_gzip: u64 = served
        .iter()
        .filter(|s| s.path.ends_with(".wasm"))
        .map(|s| s.gzip)
        .sum();
    let brotli = if served.iter().all(|s| s.brotli.is_some()) {
        format!(
            "; {} to browsers that take brotli",
            kb_text(served.iter().filter_map(|s| s.brotli).sum())
        )
    } else {
        "; no brotli copies (a site built without --precompress)".into()
    };
    let gzip_best = total(|s| s.gzip_best);
    let best = if gzip as f64 > gzip_best as f64 * 1.03 {
        format!(
            "the gzip copies served are {} over gzip's best level ({}, flate2, as `confab` makes its own copies): another tool made them (cargo-leptos's `--precompress`)",
            kb_text(gzip - gzip_best),
            kb_text(gzip_best)
        )
    } else {
        format!("gzip's best level gives {}", kb_text(gzip_best))
    };
    let note = format!(
        "Wasm: the inbox route references {}; the Wasm alone {} gzip; {} in all uncompressed{brotli}; {best}. Bytes of the bodies on the wire (1 KB = 1,000 bytes), served by `confab` from {}; the gzip copies were answered {:.1} s after the first try.",
        each.join(", "),
        kb_text(wasm_gzip),
        kb_text(plain),
        site.child.url(""),
        waited.as_secs_f64()
    );
    let row = ServerRow {
        name: "Wasm + JS glue of the inbox route, gzip as served; baseline: the same files uncompressed".into(),
        confab: kb(gzip),
        baseline: kb(plain),
        unit: "KB",
        target_on_ratio: false,
        target: Target::AtMost {
            limit: 300.0,
            unit: "KB",
        },
    };
    Ok((row, note))
}

/// Why the page figure cannot be measured on this machine, if it cannot.
fn browser_missing(root: &Path) -> Option<String> {
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        return Some("node not found".into());
    }
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).is_file() {
        return Some(format!(
            "no Chromium at {chromium} (scripts/test installs it; or set CHROMIUM_PATH)"
        ));
    }
    if !root.join("end2end/node_modules/playwright-core").is_dir() {
        return Some("playwright-core is not installed (`npm ci` in end2end/)".into());
    }
    None
}

/// Seeds the inbox (one message from each of `CONVERSATIONS` new leads, through the
/// sandbox webhook).
async fn seed(site: &Site) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let url = site
        .child
        .url(&format!("/webhooks/sandbox/{}", site.channel));
    for i in 0..CONVERSATIONS {
        let lead = crate::server::SandboxLead::named(&format!("page-lead-{i}"));
        let body = serde_json::json!({
            "type": "message", "lead_id": lead.id,
            "name": format!("Page Lead {i}"), "message_id": format!("page-{i:04}"),
            "text": format!("Hello, is order {i} ready? Can I pick it up this afternoon?"),
        });
        let response = http
            .post(&url)
            .header("content-type", "application/json")
            .header("cookie", &lead.cookie)
            .header("x-forwarded-for", crate::server::lead_address(i as u64))
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("sandbox webhook: {e}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "sandbox webhook answered {}: {}",
                response.status(),
                response.text().await.unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// The rows of the page figure: first contentful paint and interactive, p50 and p95 of
/// `runs` warm loads, the median of the cold ones; and a note.
pub async fn page(site: &Site, runs: usize) -> Result<(Vec<ServerRow>, String), String> {
    let cold_runs = (runs / 4).max(1);
    let name = |what: &str, how: &str| {
        format!("inbox page, {CONVERSATIONS} conversations, headless Chromium: {what}, {how}")
    };
    let rows = |values: [f64; 6]| {
        let row = |what: &str, how: String, value: f64, limit: f64| ServerRow {
            name: name(what, &how),
            confab: value,
            baseline: f64::NAN,
            unit: "ms",
            target_on_ratio: false,
            target: Target::AtMost { limit, unit: "ms" },
        };
        let warm = format!("{runs} loads, warm cache");
        let cold = format!("median of {cold_runs} loads, cold cache");
        vec![
            row(
                "first contentful paint",
                format!("p50 of {warm}"),
                values[0],
                500.0,
            ),
            row(
                "first contentful paint",
                format!("p95 of {warm}"),
                values[1],
                500.0,
            ),
            row(
                "interactive (hydrated)",
                format!("p50 of {warm}"),
                values[2],
                1000.0,
            ),
            row(
                "interactive (hydrated)",
                format!("p95 of {warm}"),
                values[3],
                1000.0,
            ),
            row("first contentful paint", cold.clone(), values[4], 500.0),
            row("interactive (hydrated)", cold, values[5], 1000.0),
        ]
    };
    let root = workspace_root();
    if let Some(why) = browser_missing(&root) {
        let rows = [("first contentful paint", 500.0), ("interactive", 1000.0)]
            .into_iter()
            .map(|(what, limit)| ServerRow {
                name: format!("{} — not measured: {why}", name(what, "p95")),
                confab: f64::NAN,
                baseline: f64::NAN,
                unit: "ms",
                target_on_ratio: false,
                target: Target::AtMost { limit, unit: "ms" },
            })
            .collect();
        return Ok((rows, format!("Page: not measured: {why}.")));
    }
    seed(site).await?;
    let script = root.join("end2end/bench/page.mjs");
    let base = site.child.url("");
    eprintln!(
        "page: node {} {base} {runs} {cold_runs} …",
        script.display()
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&script)
            .arg(&base)
            .arg(runs.to_string())
            .arg(cold_runs.to_string())
            .current_dir(root.join("end2end"))
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot run node: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "end2end/bench/page.mjs failed ({}); the server's log:\n{}",
            output.status,
            site.child.log_tail()
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result: serde_json::Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| format!("end2end/bench/page.mjs printed no JSON: {stdout}"))?;
    let series = |set: &str, field: &str| -> Vec<f64> {
        let mut values: Vec<f64> = result[set]
            .as_array()
            .map(|loads| loads.iter().filter_map(|l| l[field].as_f64()).collect())
            .unwrap_or_default();
        values.sort_by(f64::total_cmp);
        values
    };
    let at = |values: &[f64], p: f64| {
        if values.is_empty() {
            f64::NAN
        } else {
            percentile_of_sorted(values, p)
        }
    };
    let (fcp, interactive) = (series("warm", "fcp"), series("warm", "interactive"));
    let (cold_fcp, cold_interactive) = (series("cold", "fcp"), series("cold", "interactive"));
    if fcp.len() != runs || interactive.len() != runs {
        return Err(format!(
            "end2end/bench/page.mjs measured {} of {runs} loads: {stdout}",
            fcp.len().min(interactive.len())
        ));
    }
    let shown = series("warm", "conversations");
    let (ttfb, dom) = (series("warm", "ttfb"), series("warm", "dom_content_loaded"));
    let note = format!(
        "Page: {} (playwright-core), signed in as the demo agent, {} rows in the list; each load a new tab on `/conversations`, times from navigation start: first contentful paint (the browser's paint timing), and interactive = the Wasm instantiated and `hydrate()` returned (event handlers attached; what end2end's `hydrated()` waits for, read when it happens). Warm: one browser context, its HTTP cache and compiled Wasm as a returning employee has them (hashed names, kept a year); cold: a fresh context per load, the same session. Warm p50: time to first byte {:.0} ms, DOMContentLoaded {:.0} ms; cold p95: FCP {:.0} ms, interactive {:.0} ms.",
        result["browser"].as_str().map(|v| format!("Chromium {v}")).unwrap_or_else(|| "Chromium".into()),
        at(&shown, 0.5),
        at(&ttfb, 0.5),
        at(&dom, 0.5),
        at(&cold_fcp, 0.95),
        at(&cold_interactive, 0.95),
    );
    Ok((
        rows([
            at(&fcp, 0.5),
            at(&fcp, 0.95),
            at(&interactive, 0.5),
            at(&interactive, 0.95),
            at(&cold_fcp, 0.5),
            at(&cold_interactive, 0.5),
        ]),
        note,
    ))
}

/// Whether a gzip body is one of `confab`'s own copies: its header carries the comment
/// the server writes (`assets::precompress`).
fn confab_gzip(body: &[u8]) -> bool {
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let Some(&flags) = body.get(3) else {
        return false;
    };
    if flags & FCOMMENT == 0 {
        return false;
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(len) = body.get(at..at + 2) else {
            return false;
        };
        at += 2 + u16::from_le_bytes([len[0], len[1]]) as usize;
    }
    let skip_text = |at: &mut usize| -> Option<Vec<u8>> {
        let end = body.get(*at..)?.iter().position(|b| *b == 0)?;
        let text = body[*at..*at + end].to_vec();
        *at += end + 1;
        Some(text)
    };
    if flags & FNAME != 0 && skip_text(&mut at).is_none() {
        return false;
    }
    skip_text(&mut at).is_some_and(|comment| comment == confab::assets::OUR_GZIP)
}

#[cfg(test)]
mod tests {
    use super::{confab_gzip, pkg_files, static_imports};
    use std::io::Write;

    fn gzip(builder: flate2::GzBuilder) -> Vec<u8> {
        let mut encoder = builder.write(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b"(module)").unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn only_confabs_own_copies_carry_its_mark() {
        let ours = flate2::GzBuilder::new().comment(confab::assets::OUR_GZIP);
        assert!(confab_gzip(&gzip(ours)));
        let named = flate2::GzBuilder::new()
            .filename("confab.wasm")
            .comment(confab::assets::OUR_GZIP);
        assert!(confab_gzip(&gzip(named)));
        assert!(!confab_gzip(&gzip(flate2::GzBuilder::new())));
        let other = flate2::GzBuilder::new().comment("cargo-leptos");
        assert!(!confab_gzip(&gzip(other)));
        assert!(!confab_gzip(b"\x1f\x8b"));
    }

    #[test]
    fn finds_the_modules_a_script_imports() {
        let js = r#"let _,e;import*as n from"./__wasm_split.u3-4_w.js";import*as t from"./__wasm_split.u3-4_w.js";import "./side.js";const x = import("./lazy.js");from"https://elsewhere/x.js""#;
        assert_eq!(
            static_imports(js),
            vec!["/pkg/__wasm_split.u3-4_w.js", "/pkg/side.js"]
        );
    }

    #[test]
    fn finds_the_hashed_files_once() {
        let html = r#"<link rel="modulepreload" href="/pkg/confab.abc123.js" nonce="x"><link rel="preload" href="/pkg/confab.def456.wasm" as="fetch"><link rel="stylesheet" href="/pkg/confab.77.css"><script>import('/pkg/confab.abc123.js')</script>"#;
        assert_eq!(
            pkg_files(html),
            vec!["/pkg/confab.abc123.js", "/pkg/confab.def456.wasm"]
        );
    }
}
