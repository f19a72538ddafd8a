//! The few W3C WebDriver calls the tests need, over plain HTTP/JSON.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine;
use serde_json::{json, Value};

/// The W3C key under which an element reference is returned.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a new-session request is retried while the driver refuses connections.
const NEW_SESSION_WITHIN: Duration = Duration::from_secs(30);

/// One WebDriver session: one running app window. Deleted on drop, which closes the app.
pub struct Session {
    agent: ureq::Agent,
    base: String,
}

#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    /// Start `application` through tauri-driver at `driver_url`, with extra command-line `args`.
    pub fn start(driver_url: &str, application: &Path, args: &[&str]) -> Result<Self> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "tauri:options": { "application": application, "args": args }
        }}});
        // A refused or dropped connection means no session was created (tauri-driver answers
        // with a closed connection while the native driver behind it is not reachable): retry
        // within a deadline. A WebDriver error reply is final.
        let deadline = Instant::now() + NEW_SESSION_WITHIN;
        let reply = loop {
            match agent.post(format!("{driver_url}/session")).send_json(&caps) {
                Err(e) if is_connection_error(&e) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                reply => break send(reply)?,
            }
        };
        let id = reply["sessionId"]
            .as_str()
            .context("no sessionId in the new-session reply")?;
        Ok(Session {
            base: format!("{driver_url}/session/{id}"),
            agent,
        })
    }

    fn get(&self, path: &str) -> Result<Value> {
        send(self.agent.get(format!("{}{path}", self.base)).call())
    }

    fn post(&self, path: &str, body: Value) -> Result<Value> {
        send(
            self.agent
                .post(format!("{}{path}", self.base))
                .send_json(&body),
        )
    }

    /// Every element matching a CSS selector (none is not an error).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        self.find("css selector", css)
    }

    /// Every element matching an XPath expression (`//button[contains(., 'Sync')]`).
    pub fn find_xpath(&self, xpath: &str) -> Result<Vec<Element>> {
        self.find("xpath", xpath)
    }

    fn find(&self, using: &str, value: &str) -> Result<Vec<Element>> {
        let found = self.post("/elements", json!({ "using": using, "value": value }))?;
        found
            .as_array()
            .context("find elements did not return an array")?
            .iter()
            .map(|e| {
                e[ELEMENT]
                    .as_str()
                    .map(|id| Element(id.to_string()))
                    .context("not an element reference")
            })
            .collect()
    }

    /// Wait until at least one element matches `css` (or, starting with `/`, an XPath).
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Vec<Element>> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = if css.starts_with('/') {
                self.find_xpath(css)?
            } else {
                self.find_all(css)?
            };
            if !found.is_empty() {
                return Ok(found);
            }
            if Instant::now() > deadline {
                bail!(
                    "nothing matched {css:?} within {timeout:?}; the page was:\n{}",
                    self.source().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn text(&self, e: &Element) -> Result<String> {
        Ok(self
            .get(&format!("/element/{}/text", e.0))?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    pub fn attribute(&self, e: &Element, name: &str) -> Result<Option<String>> {
        Ok(self
            .get(&format!("/element/{}/attribute/{name}", e.0))?
            .as_str()
            .map(str::to_string))
    }

    /// A DOM property (`textContent`, `value`, ...), whether or not the element is displayed.
    pub fn property(&self, e: &Element, name: &str) -> Result<Value> {
        self.get(&format!("/element/{}/property/{name}", e.0))
    }

    /// Whether WebDriver considers the element visible to a person.
    pub fn displayed(&self, e: &Element) -> Result<bool> {
        Ok(self
            .get(&format!("/element/{}/displayed", e.0))?
            .as_bool()
            .unwrap_or(false))
    }

    /// Click an element (scrolled into view first by the driver).
    pub fn click(&self, e: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", e.0), json!({}))?;
        Ok(())
    }

    /// Type `text` into an input element.
    pub fn send_keys(&self, e: &Element, text: &str) -> Result<()> {
        self.post(&format!("/element/{}/value", e.0), json!({ "text": text }))?;
        Ok(())
    }

    /// Press keys on whatever has the focus, one after the other (W3C key codes: Tab is
    /// `\u{E004}`, Enter `\u{E007}`).
    pub fn press(&self, keys: &[&str]) -> Result<()> {
        let actions: Vec<Value> = keys
            .iter()
            .flat_map(|k| {
                [
                    json!({ "type": "keyDown", "value": k }),
                    json!({ "type": "keyUp", "value": k }),
                ]
            })
            .collect();
        self.post(
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }),
        )?;
        Ok(())
    }

    /// Whether a form control is enabled (not `disabled`).
    pub fn enabled(&self, e: &Element) -> Result<bool> {
        Ok(self
            .get(&format!("/element/{}/enabled", e.0))?
            .as_bool()
            .unwrap_or(false))
    }

    /// Run a synchronous script in the page; its return value.
    pub fn execute(&self, script: &str, args: Value) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// Go to a route of the single-page UI (`#/promote/...`).
    pub fn route(&self, hash: &str) -> Result<()> {
        self.execute("location.hash = arguments[0]; return true;", json!([hash]))?;
        Ok(())
    }

    /// Wait until `css` matches an element that is enabled; that element.
    pub fn wait_enabled(&self, css: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            for e in self.find_all(css)? {
                if self.enabled(&e)? {
                    return Ok(e);
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "no enabled element matched {css:?} within {timeout:?}; the page was:\n{}",
                    self.source().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The text of the first element matching `css`, once there is one.
    pub fn wait_text(&self, css: &str, timeout: Duration) -> Result<String> {
        let found = self.wait_for(css, timeout)?;
        self.text(&found[0])
    }

    pub fn title(&self) -> Result<String> {
        Ok(self.get("/title")?.as_str().unwrap_or_default().to_string())
    }

    pub fn source(&self) -> Result<String> {
        Ok(self
            .get("/source")?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Wait for two animation frames, so what the DOM holds has been painted.
    pub fn settle(&self) -> Result<()> {
        let script = "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));";
        self.post("/execute/async", json!({ "script": script, "args": [] }))?;
        Ok(())
    }

    /// A PNG of the window's page as painted (after [`Session::settle`]), written to `path`.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        self.settle()?;
        let b64 = self.get("/screenshot")?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().context("screenshot is not a string")?)?;
        anyhow::ensure!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(path, png).with_context(|| format!("write {}", path.display()))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.base).call();
    }
}

/// The request never got a reply: refused, reset or closed before any response.
fn is_connection_error(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::HostNotFound
    )
}

/// The `value` of a WebDriver reply, or its error as one line.
fn send(reply: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Value> {
    let mut reply = reply.context("WebDriver request failed")?;
    let status = reply.status();
    let body: Value = reply
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_json()
        .context("WebDriver reply is not JSON")?;
    let value = body.get("value").cloned().unwrap_or(Value::Null);
    if !status.is_success() {
        bail!(
            "WebDriver error {status}: {} {}",
            value["error"].as_str().unwrap_or("?"),
            value["message"].as_str().unwrap_or("")
        );
    }
    Ok(value)
}
