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

    /// Runs `script` in the page; its return value.
    pub fn run(&self, script: &str) -> Result<Value, String> {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
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
