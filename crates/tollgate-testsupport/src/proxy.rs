//! [`FaultProxy`]: a small HTTP proxy in front of a real registry that can page tag lists
//! (distribution 2.8 ignores `?n=`), answer 429/503 on demand, lose answers, replace bodies,
//! play a rival writer, and count requests.

use std::collections::VecDeque;
use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tollgate::config::RegistryLocation;
use tollgate::registry::{Credentials, Registry, RegistryOptions};

use crate::http::{read_body, read_head, Message};

/// A canned answer the proxy gives instead of forwarding.
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    pub retry_after: Option<String>,
}

#[derive(Default)]
struct ProxyState {
    page_tags: bool,
    faults: VecDeque<Fault>,
    requests: Vec<(String, String)>,
    in_flight: usize,
    max_in_flight: usize,
    /// Requests whose path contains the key get this body (chunked when the flag is set).
    bodies: Vec<(String, Vec<u8>, bool)>,
    /// `(method, path part, forward)`: the next such request is forwarded (or not), and its
    /// answer is lost (the proxy closes the client connection without a response), once.
    lose_answer: Vec<(String, String, bool)>,
    /// `(path part, body)`: after every successful PUT whose path contains the part, the
    /// proxy PUTs `body` to the same path itself (a rival writer that always writes last).
    overwrite: Option<(String, Vec<u8>)>,
    /// How many rival writes were made.
    overwrites: usize,
    /// `(path part, status)`: every request whose path contains the part gets this status.
    refusals: Vec<(String, u16)>,
}

/// An HTTP/1.1 proxy on 127.0.0.1 in front of a real registry. It keeps client connections
/// alive and forwards each request on a fresh upstream connection, keeping the `Host` header
/// (so the registry's Location URLs point back at the proxy).
pub struct FaultProxy {
    port: u16,
    state: Arc<Mutex<ProxyState>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    pub fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let state: Arc<Mutex<ProxyState>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let st = state.clone();
        let stopping = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { break };
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve_connection(conn, upstream_port, &st);
                });
            }
        });
        FaultProxy { port, state, stop }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn location(&self) -> RegistryLocation {
        RegistryLocation::Remote {
            host: self.host(),
            plain_http: true,
        }
    }

    pub fn client(&self, credentials: Credentials, options: RegistryOptions) -> Registry {
        Registry::open_with(&self.location(), credentials, options).expect("open registry")
    }

    /// Page `tags/list` answers by `n` and `last`, with a `Link: <...>; rel="next"` header.
    pub fn page_tags(&self, on: bool) {
        self.state.lock().unwrap().page_tags = on;
    }

    /// Answer the next requests with these statuses instead of forwarding them.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.state
            .lock()
            .unwrap()
            .faults
            .extend(faults.iter().cloned());
    }

    /// Answer requests whose path contains `path_part` with the registry's status and headers
    /// but `body` (sent with `Transfer-Encoding: chunked` and no length when `chunked`).
    pub fn replace_body(&self, path_part: &str, body: Vec<u8>, chunked: bool) {
        self.state
            .lock()
            .unwrap()
            .bodies
            .push((path_part.to_string(), body, chunked));
    }

    /// Answer every request whose path contains `path_part` with `status` (and a registry
    /// error body) instead of forwarding it: a registry that refuses its catalog, as Docker
    /// Hub and GHCR do (`refuse("/v2/_catalog", 401)`).
    pub fn refuse(&self, path_part: &str, status: u16) {
        self.state
            .lock()
            .unwrap()
            .refusals
            .push((path_part.to_string(), status));
    }

    /// Forward the next `method` request whose path contains `path_part` to the registry, then
    /// close the client's connection without answering: a request applied whose answer never
    /// came back (a timeout, a dropped connection).
    pub fn lose_answer_to(&self, method: &str, path_part: &str) {
        self.state.lock().unwrap().lose_answer.push((
            method.to_string(),
            path_part.to_string(),
            true,
        ));
    }

    /// Close the client's connection on the next `method` request whose path contains
    /// `path_part`, without forwarding it: a request lost on the way.
    pub fn drop_request_to(&self, method: &str, path_part: &str) {
        self.state.lock().unwrap().lose_answer.push((
            method.to_string(),
            path_part.to_string(),
            false,
        ));
    }

    /// After every successful PUT whose path contains `path_part`, PUT `body` to the same
    /// path before answering: another writer whose write always lands right after ours.
    /// `None` stops it.
    pub fn overwrite_after_put(&self, rival: Option<(&str, Vec<u8>)>) {
        self.state.lock().unwrap().overwrite = rival.map(|(p, b)| (p.to_string(), b));
    }

    /// How many rival writes [`Self::overwrite_after_put`] made.
    pub fn overwrites(&self) -> usize {
        self.state.lock().unwrap().overwrites
    }

    /// `(method, path-and-query)` of every request seen so far.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn clear_requests(&self) {
        let mut st = self.state.lock().unwrap();
        st.requests.clear();
        st.max_in_flight = 0;
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.state.lock().unwrap().max_in_flight
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Wake the accept loop so it sees the flag and ends.
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)).map(|s| s.shutdown(Shutdown::Both));
    }
}

fn serve_connection(
    conn: TcpStream,
    upstream_port: u16,
    state: &Mutex<ProxyState>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut writer = conn;
    while let Some((start, headers)) = read_head(&mut reader)? {
        let body = read_body(&mut reader, &headers, false)?;
        let req = Message {
            start,
            headers,
            body,
        };
        let mut parts = req.start.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("/").to_string();
        let (fault, page, replacement, lose) = {
            let mut st = state.lock().unwrap();
            st.requests.push((method.clone(), target.clone()));
            st.in_flight += 1;
            st.max_in_flight = st.max_in_flight.max(st.in_flight);
            let body = st
                .bodies
                .iter()
                .find(|(p, _, _)| target.contains(p.as_str()))
                .map(|(_, b, c)| (b.clone(), *c));
            let lose = st
                .lose_answer
                .iter()
                .position(|(m, p, _)| *m == method && target.contains(p.as_str()));
            let lose = lose.map(|i| st.lose_answer.remove(i).2);
            let refusal = st
                .refusals
                .iter()
                .find(|(p, _)| target.contains(p.as_str()))
                .map(|(_, status)| Fault {
                    status: *status,
                    retry_after: None,
                });
            let fault = if lose.is_some() {
                None
            } else {
                refusal.or_else(|| st.faults.pop_front())
            };
            (fault, st.page_tags, body, lose)
        };
        if let Some(forwarding) = lose {
            let forwarded = if forwarding {
                forward(&req, upstream_port).map(drop)
            } else {
                Ok(())
            };
            state.lock().unwrap().in_flight -= 1;
            forwarded?;
            let _ = writer.shutdown(Shutdown::Both);
            return Ok(());
        }
        // Hold each request a moment so concurrent ones overlap visibly.
        std::thread::sleep(Duration::from_millis(2));
        let mut resp = match fault {
            Some(f) => {
                let mut headers =
                    vec![("Content-Type".to_string(), "application/json".to_string())];
                if let Some(ra) = f.retry_after {
                    headers.push(("Retry-After".to_string(), ra));
                }
                let code = match f.status {
                    401 => "UNAUTHORIZED",
                    403 => "DENIED",
                    404 => "NAME_UNKNOWN",
                    _ => "TOOMANYREQUESTS",
                };
                let body = format!(
                    r#"{{"errors":[{{"code":"{code}","message":"injected by the test proxy"}}]}}"#
                )
                .into_bytes();
                Message {
                    start: format!("HTTP/1.1 {} Injected", f.status),
                    headers,
                    body,
                }
            }
            None => {
                let mut resp = match forward(&req, upstream_port) {
                    Ok(r) => r,
                    Err(e) => {
                        state.lock().unwrap().in_flight -= 1;
                        return Err(e);
                    }
                };
                if page
                    && method == "GET"
                    && target.contains("/tags/list")
                    && resp.start.contains(" 200")
                {
                    page_tags(&target, &mut resp);
                }
                let rival = {
                    let st = state.lock().unwrap();
                    st.overwrite
                        .as_ref()
                        .filter(|(p, _)| {
                            method == "PUT"
                                && target.contains(p.as_str())
                                && resp.start.contains(" 201")
                        })
                        .map(|(_, b)| b.clone())
                };
                if let Some(body) = rival {
                    let write = Message {
                        start: req.start.clone(),
                        headers: req.headers.clone(),
                        body,
                    };
                    let answer = forward(&write, upstream_port)?;
                    assert!(
                        answer.start.contains(" 201"),
                        "rival write: {}",
                        answer.start
                    );
                    state.lock().unwrap().overwrites += 1;
                }
                resp
            }
        };
        let chunked = match replacement {
            Some((body, chunked)) => {
                resp.body = body;
                chunked
            }
            None => false,
        };
        write!(writer, "{}\r\n", resp.start)?;
        for (k, v) in &resp.headers {
            if k.eq_ignore_ascii_case("transfer-encoding")
                || k.eq_ignore_ascii_case("connection")
                || (k.eq_ignore_ascii_case("content-length") && method != "HEAD")
            {
                continue;
            }
            write!(writer, "{k}: {v}\r\n")?;
        }
        if chunked && method != "HEAD" {
            write!(writer, "Transfer-Encoding: chunked\r\n\r\n")?;
            for chunk in resp.body.chunks(64 * 1024) {
                write!(writer, "{:x}\r\n", chunk.len())?;
                writer.write_all(chunk)?;
                write!(writer, "\r\n")?;
            }
            write!(writer, "0\r\n\r\n")?;
        } else {
            if method != "HEAD" {
                write!(writer, "Content-Length: {}\r\n", resp.body.len())?;
            }
            write!(writer, "\r\n")?;
            if method != "HEAD" {
                writer.write_all(&resp.body)?;
            }
        }
        writer.flush()?;
        state.lock().unwrap().in_flight -= 1;
    }
    Ok(())
}

fn forward(req: &Message, upstream_port: u16) -> std::io::Result<Message> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream_port))?;
    write!(up, "{}\r\n", req.start)?;
    for (k, v) in &req.headers {
        if k.eq_ignore_ascii_case("connection")
            || k.eq_ignore_ascii_case("content-length")
            || k.eq_ignore_ascii_case("transfer-encoding")
        {
            continue;
        }
        write!(up, "{k}: {v}\r\n")?;
    }
    write!(
        up,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        req.body.len()
    )?;
    up.write_all(&req.body)?;
    up.flush()?;
    let mut r = BufReader::new(up);
    let (start, headers) =
        read_head(&mut r)?.ok_or_else(|| std::io::Error::other("upstream closed"))?;
    let is_head = req.start.starts_with("HEAD ");
    let body = if is_head {
        Vec::new()
    } else {
        read_body(&mut r, &headers, true)?
    };
    Ok(Message {
        start,
        headers,
        body,
    })
}

/// Apply `n` and `last` to a tags list answer, sorted, with a Link to the next page.
fn page_tags(target: &str, resp: &mut Message) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let Some(n) = param("n").and_then(|v| v.parse::<usize>().ok()) else {
        return;
    };
    let last = param("last");
    let mut v: serde_json::Value = serde_json::from_slice(&resp.body).expect("tags json");
    let mut tags: Vec<String> = v["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    tags.sort();
    let rest: Vec<String> = tags
        .into_iter()
        .filter(|t| last.as_ref().is_none_or(|l| t > l))
        .collect();
    let page: Vec<String> = rest.iter().take(n).cloned().collect();
    if rest.len() > n {
        let link = format!(
            "<{path}?n={n}&last={}>; rel=\"next\"",
            page.last().expect("page")
        );
        resp.headers.push(("Link".to_string(), link));
    }
    v["tags"] = serde_json::json!(page);
    resp.body = serde_json::to_vec(&v).expect("json");
}
