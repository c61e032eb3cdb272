//! Small HTTP helpers: raw requests over a `TcpStream` (cheap enough to open thousands of
//! SSE streams from one process) and the sign-in.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The status of `GET path` on a fresh connection (`Err` when nothing answers).
pub async fn get_status(addr: SocketAddr, path: &str) -> Result<u16, String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        match stream.read(&mut head[read..]).await {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(e.to_string()),
        }
    }
    status_of(&head[..read]).ok_or_else(|| "no HTTP status".into())
}

fn status_of(head: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(head.get(..12)?).ok()?;
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// A connection that has had one `GET /health` answered and stays open (keep-alive).
pub async fn keep_alive(addr: SocketAddr) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 512];
    // The answer is small: its head, then a two-byte body ("ok").
    while !answer.ends_with(b"ok") {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    Ok(stream)
}

/// Opens `GET /api/events` and reads the response head. Returns the stream and any bytes
/// of the body already read.
pub async fn open_sse(
    addr: SocketAddr,
    cookie: Option<&str>,
) -> Result<(TcpStream, Vec<u8>), String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{cookie}\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(60), stream.read(&mut chunk))
            .await
            .map_err(|_| "no answer to GET /api/events within 60 s".to_string())?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the response head".into());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let status = status_of(&buffer).unwrap_or(0);
            if status != 200 {
                return Err(format!(
                    "GET /api/events answered {status}: {}",
                    String::from_utf8_lossy(&buffer[..end])
                ));
            }
            return Ok((stream, buffer[end + 4..].to_vec()));
        }
    }
}

/// Signs in (`POST /api/login`) and returns the session cookie (`name=value`).
pub async fn sign_in(base: &str, email: &str, password: &str) -> Result<String, String> {
    sign_in_from(base, email, password, None).await
}

/// [`sign_in`] from the address `from` (the server trusts `X-Forwarded-For`): sign-in
/// limits count per address, and a team signs in from many.
pub async fn sign_in_from(
    base: &str,
    email: &str,
    password: &str,
    from: Option<&str>,
) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let mut request = client
        .post(format!("{base}/api/login"))
        .header("accept", "application/json")
        .form(&[("email", email), ("password", password)]);
    if let Some(from) = from {
        request = request.header("x-forwarded-for", from);
    }
    let response = request.send().await.map_err(|e| format!("sign-in: {e}"))?;
    let status = response.status();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("confab_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    match cookie {
        Some(cookie) if status.is_success() || status.is_redirection() => Ok(cookie),
        _ => Err(format!(
            "sign-in failed: {status} {}",
            response.text().await.unwrap_or_default()
        )),
    }
}
