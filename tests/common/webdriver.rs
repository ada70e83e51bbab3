//! A small WebDriver client for the browser tests: Debian's chromedriver driving headless
//! Chromium, spoken to in plain HTTP/1.1 (each call on its own connection, run off the
//! async runtime so that the server under test keeps serving meanwhile).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct Driver {
    port: u16,
    child: Child,
}

/// One browser session.
pub struct Session {
    port: u16,
    id: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP exchange with chromedriver: the JSON `value` of its answer.
fn call(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    // Read the head, then exactly Content-Length bytes (the driver may keep the
    // connection open).
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let head_end = loop {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before an answer".into());
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .ok_or_else(|| format!("no Content-Length: {head}"))?;
    while raw.len() < head_end + 4 + length {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let body = String::from_utf8_lossy(&raw[head_end + 4..]).to_string();
    let head = head.as_str();
    let body = body.as_str();
    let json: Value = serde_json::from_str(body).map_err(|e| format!("{e}: {body}"))?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("{head}: {json}"));
    }
    Ok(json["value"].clone())
}

impl Driver {
    /// Starts chromedriver; `None` (with the reason) when it is not installed.
    pub fn start() -> Result<Driver, String> {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("chromedriver: {e} (scripts/test installs chromium and chromium-driver)")
            })?;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if call(port, "GET", "/status", None).is_ok_and(|v| v["ready"] == json!(true)) {
                return Ok(Driver { port, child });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("chromedriver did not start".into())
    }

    pub fn session(&self, width: u32, height: u32) -> Result<Session, String> {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--hide-scrollbars", "--force-device-scale-factor=1", "--lang=zh-CN",
                         format!("--window-size={width},{height}")]
            }
        }}});
        let v = call(self.port, "POST", "/session", Some(&caps))?;
        let id = v["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session: {v}"))?
            .to_string();
        Ok(Session {
            port: self.port,
            id,
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Session {
    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        call(
            self.port,
            method,
            &format!("/session/{}{path}", self.id),
            body.as_ref(),
        )
    }

    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.cmd("POST", "/url", Some(json!({ "url": url })))
            .map(|_| ())
    }

    pub fn resize(&self, width: u32, height: u32) -> Result<(), String> {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .map(|_| ())
    }

    /// Sizes the window so that the page itself (the viewport) is `width`×`height`.
    pub fn viewport(&self, width: u32, height: u32) -> Result<(), String> {
        self.resize(width, height)?;
        let v = self.run("return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];")?;
        let (dw, dh) = (
            v[0].as_u64().unwrap_or(0) as u32,
            v[1].as_u64().unwrap_or(0) as u32,
        );
        if dw > 0 || dh > 0 {
            self.resize(width + dw, height + dh)?;
        }
        Ok(())
    }

    /// Emulates a phone's screen, `width` CSS pixels wide (a desktop window cannot be made
    /// narrower than 500 px): through Chromium's DevTools protocol, as chromedriver offers.
    pub fn phone(&self, width: u32, height: u32) -> Result<(), String> {
        self.emulate(width, height, true)
    }

    /// Emulates a screen of exactly `width`×`height` CSS pixels (a television, a phone).
    pub fn emulate(&self, width: u32, height: u32, mobile: bool) -> Result<(), String> {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(
                json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}}),
            ),
        )
        .map(|_| ())
    }

    /// Back to the desktop window after `phone`.
    pub fn desktop(&self) -> Result<(), String> {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}})),
        )
        .map(|_| ())
    }

    /// Lays the page out as for printing (`true`) or for the screen again.
    pub fn print_media(&self, print: bool) -> Result<(), String> {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": if print { "print" } else { "" }}})),
        )
        .map(|_| ())
    }

    /// The text of the dialog the page opened (`confirm`, `alert`), if one is open.
    pub fn dialog_text(&self) -> Result<Option<String>, String> {
        match self.cmd("GET", "/alert/text", None) {
            Ok(v) => Ok(v.as_str().map(str::to_string)),
            Err(e) if e.contains("no such alert") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Answers the open dialog with 取消 (dismiss) or 确定 (accept).
    pub fn answer_dialog(&self, accept: bool) -> Result<(), String> {
        let what = if accept {
            "/alert/accept"
        } else {
            "/alert/dismiss"
        };
        self.cmd("POST", what, Some(json!({}))).map(|_| ())
    }

    /// Runs `script` in the page; its return value.
    pub fn run(&self, script: &str) -> Result<Value, String> {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// The first element matching the CSS `selector`.
    pub fn find(&self, selector: &str) -> Result<Element<'_>, String> {
        let v = self
            .cmd(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": selector})),
            )
            .map_err(|e| format!("{selector}: {e}"))?;
        let id = v[ELEMENT_KEY]
            .as_str()
            .ok_or_else(|| format!("{selector}: no element in {v}"))?
            .to_string();
        Ok(Element { session: self, id })
    }

    /// The element that has the keyboard focus.
    pub fn active(&self) -> Result<Element<'_>, String> {
        let v = self.cmd("GET", "/element/active", None)?;
        let id = v[ELEMENT_KEY]
            .as_str()
            .ok_or_else(|| format!("no focused element: {v}"))?
            .to_string();
        Ok(Element { session: self, id })
    }

    /// Every element matching the CSS `selector`.
    pub fn find_all(&self, selector: &str) -> Result<Vec<Element<'_>>, String> {
        let v = self.cmd(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": selector})),
        )?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str())
                    .map(|id| Element {
                        session: self,
                        id: id.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The page's address now.
    pub fn url(&self) -> Result<String, String> {
        Ok(self
            .cmd("GET", "/url", None)?
            .as_str()
            .unwrap_or("")
            .to_string())
    }

    /// Text of the first element matching `selector` ("" when there is none).
    pub fn text(&self, selector: &str) -> Result<String, String> {
        let v = self.run(&format!(
            "const e = document.querySelector({}); return e ? e.textContent.trim() : '';",
            json!(selector)
        ))?;
        Ok(v.as_str().unwrap_or("").to_string())
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self) -> Result<Vec<u8>, String> {
        use base64::Engine;
        let v = self.cmd("GET", "/screenshot", None)?;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or(""))
            .map_err(|e| e.to_string())
    }

    /// A PNG of the whole page (Chromium's full-size capture).
    pub fn full_screenshot(&self) -> Result<Vec<u8>, String> {
        let size = self.run(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight];",
        )?;
        let (w, h) = (
            size[0].as_u64().unwrap_or(1366) as u32,
            size[1].as_u64().unwrap_or(768).min(6000) as u32,
        );
        self.resize(w.max(390), h)?;
        self.screenshot()
    }

    pub fn quit(&self) {
        let _ = call(self.port, "DELETE", &format!("/session/{}", self.id), None);
    }
}

/// The W3C WebDriver key of an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// An element of the page, as the person would use it: typed into and clicked.
pub struct Element<'a> {
    session: &'a Session,
    id: String,
}

impl Element<'_> {
    fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Result<Value, String> {
        self.session
            .cmd(method, &format!("/element/{}{what}", self.id), body)
    }

    /// Types `text` with the keyboard (the field keeps what it had; see `clear`).
    pub fn type_text(&self, text: &str) -> Result<(), String> {
        self.cmd("POST", "/value", Some(json!({ "text": text })))
            .map(|_| ())
    }

    pub fn clear(&self) -> Result<(), String> {
        self.cmd("POST", "/clear", Some(json!({}))).map(|_| ())
    }

    pub fn click(&self) -> Result<(), String> {
        self.cmd("POST", "/click", Some(json!({}))).map(|_| ())
    }

    pub fn selected(&self) -> Result<bool, String> {
        Ok(self.cmd("GET", "/selected", None)? == json!(true))
    }

    pub fn attribute(&self, name: &str) -> Result<Option<String>, String> {
        Ok(self
            .cmd("GET", &format!("/attribute/{name}"), None)?
            .as_str()
            .map(str::to_string))
    }
}
