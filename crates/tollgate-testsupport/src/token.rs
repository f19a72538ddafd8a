//! A token service for the registry's `auth.token` mode (the Docker/OCI token flow), started
//! by [`crate::registry::TestRegistry::start_with_token_auth`].

use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::http::{read_body, read_head};
use crate::process::run;

pub(crate) const TOKEN_SERVICE: &str = "tollgate-test";
pub(crate) const TOKEN_ISSUER: &str = "tollgate-test-issuer";

/// How the test token service departs from a well-behaved one.
#[derive(Debug, Clone)]
pub struct TokenQuirks {
    /// The host the registry's challenge names in its `realm` (`http://HOST:PORT/token`); the
    /// service listens on 127.0.0.1, so `0.0.0.0` (not a loopback address, but reaching this
    /// machine on Linux) makes a plain-http, non-loopback realm that still answers.
    pub realm_host: String,
    /// The `expires_in` of every answer (any JSON value).
    pub expires_in: serde_json::Value,
    /// Bytes of padding added to every answer (in a `padding` field).
    pub padding: usize,
}

impl Default for TokenQuirks {
    fn default() -> Self {
        TokenQuirks {
            realm_host: "127.0.0.1".into(),
            expires_in: serde_json::json!(300),
            padding: 0,
        }
    }
}

/// The token endpoint of the Docker/OCI token flow: `GET /token?service=S&scope=...` with
/// optional Basic credentials answers `{"token": JWT}`; the JWT is RS256-signed (with
/// `openssl dgst`) by a key whose self-signed certificate is the registry's `rootcertbundle`
/// and travels in the `x5c` header.
pub(crate) struct TokenServer {
    pub(crate) port: u16,
    pub(crate) cert: PathBuf,
    pub(crate) quirks: TokenQuirks,
    pub(crate) requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    /// While set, tokens never grant `push` (a read-only user).
    pub(crate) deny_push: Arc<AtomicBool>,
}

impl TokenServer {
    pub(crate) fn start(dir: &Path, user: &str, pass: &str, quirks: TokenQuirks) -> Self {
        let key = dir.join("token.key");
        let cert = dir.join("token.crt");
        run(Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=tollgate-test-token",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert));
        let der = Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&cert)
            .output()
            .expect("openssl x509")
            .stdout;
        let x5c = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind token server");
        let port = listener.local_addr().expect("addr").port();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopping, answer) = (requests.clone(), stop.clone(), quirks.clone());
        let deny_push = Arc::new(AtomicBool::new(false));
        let denying = deny_push.clone();
        let expected = format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{user}:{pass}")
            )
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { break };
                let denying = denying.clone();
                let (log, key, x5c, expected, answer) = (
                    log.clone(),
                    key.clone(),
                    x5c.clone(),
                    expected.clone(),
                    answer.clone(),
                );
                std::thread::spawn(move || {
                    let _ = serve_token(conn, &log, &key, &x5c, &expected, &answer, &denying);
                });
            }
        });
        TokenServer {
            port,
            cert,
            quirks,
            requests,
            stop,
            deny_push,
        }
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)).map(|s| s.shutdown(Shutdown::Both));
    }
}

fn b64url(bytes: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve_token(
    conn: TcpStream,
    log: &Mutex<Vec<String>>,
    key: &Path,
    x5c: &str,
    expected: &str,
    quirks: &TokenQuirks,
    deny_push: &AtomicBool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut writer = conn;
    while let Some((start, headers)) = read_head(&mut reader)? {
        let _ = read_body(&mut reader, &headers, false)?;
        let target = start.split_whitespace().nth(1).unwrap_or("/").to_string();
        log.lock().unwrap().push(target.clone());
        let auth = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.clone());
        let (status, body) = match auth {
            Some(a) if a != expected => (
                "401 Unauthorized",
                r#"{"details":"wrong credentials"}"#.to_string(),
            ),
            auth => {
                let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
                let access: Vec<serde_json::Value> = if auth.is_some() {
                    query
                        .split('&')
                        .filter_map(|kv| kv.split_once('='))
                        .filter(|(k, _)| *k == "scope")
                        .flat_map(|(_, v)| {
                            percent_decode(v)
                                .split(' ')
                                .map(str::to_string)
                                .collect::<Vec<_>>()
                        })
                        .filter_map(|scope| {
                            let mut parts = scope.splitn(3, ':');
                            let (kind, name, actions) =
                                (parts.next()?, parts.next()?, parts.next()?);
                            let actions: Vec<&str> = actions
                                .split(',')
                                .filter(|a| !(*a == "push" && deny_push.load(Ordering::SeqCst)))
                                .collect();
                            Some(
                                serde_json::json!({"type": kind, "name": name, "actions": actions}),
                            )
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("clock")
                    .as_secs();
                let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [x5c]});
                let claims = serde_json::json!({
                    "iss": TOKEN_ISSUER, "sub": if auth.is_some() { "user" } else { "" }, "aud": TOKEN_SERVICE,
                    "exp": now + 300, "nbf": now - 10, "iat": now, "jti": format!("{now}-{}", log.lock().unwrap().len()),
                    "access": access,
                });
                let input = format!(
                    "{}.{}",
                    b64url(header.to_string().as_bytes()),
                    b64url(claims.to_string().as_bytes())
                );
                let mut sign = Command::new("openssl")
                    .args(["dgst", "-sha256", "-binary", "-sign"])
                    .arg(key)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()?;
                sign.stdin
                    .take()
                    .expect("stdin")
                    .write_all(input.as_bytes())?;
                let signature = sign.wait_with_output()?.stdout;
                let jwt = format!("{input}.{}", b64url(&signature));
                (
                    "200 OK",
                    serde_json::json!({"token": jwt, "access_token": jwt, "expires_in": quirks.expires_in, "padding": "x".repeat(quirks.padding)})
                        .to_string(),
                )
            }
        };
        write!(writer, "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())?;
        writer.flush()?;
    }
    Ok(())
}
