//! A headless Debian Chromium driven over WebDriver (fantoccini): its own
//! chromedriver on a free port per test, in its own process group so the
//! browser it starts ends with it. Screenshots go to
//! `target/console-screenshots/`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::common::Deadline;
use crate::common::service::free_port;

pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The group chromedriver leads: it and the browser it started.
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--"])
            .arg(format!("-{}", self.driver.id()))
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The program `var` names, else Debian's path; with `CI=true` a missing
/// one fails the test, otherwise the test skips and says so.
fn program(var: &str, debian: &str) -> Option<PathBuf> {
    let path = std::env::var(var).map_or_else(|_| PathBuf::from(debian), PathBuf::from);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{} is missing: run scripts/services (it installs chromium and chromium-driver)",
            path.display()
        );
    }
    eprintln!(
        "skipped: {} is missing (apt-get install chromium chromium-driver, or run scripts/services)",
        path.display()
    );
    None
}

pub fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium; `None`: skipped.
    pub async fn start() -> Option<Self> {
        let chromium = program("TENURE_TEST_CHROMIUM", "/usr/bin/chromium")?;
        let chromedriver = program("TENURE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")?;
        let port = free_port();
        let driver = {
            use std::os::unix::process::CommandExt;
            Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn chromedriver")
        };
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--hide-scrollbars", "--window-size=1280,1000", "--disable-crash-reporter", "--disable-breakpad"],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Deadline::after(Duration::from_secs(30), Duration::from_millis(100));
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(err) => {
                    deadline
                        .wait(|| format!("no WebDriver session: {err}"))
                        .await
                }
            }
        };
        Some(Self { client, driver })
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// The path of the current page.
    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_owned()
    }

    /// Waits (5 s at most) until the browser is at `path`.
    pub async fn wait_path(&self, path: &str) {
        let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            deadline
                .wait(|| format!("the browser stayed at {now}, not {path}"))
                .await;
        }
    }

    /// The visible text of the page's `<main>` (waiting for it, 5 s at most).
    pub async fn text(&self) -> String {
        let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
        loop {
            if let Ok(main) = self.client.find(Locator::Css("main")).await
                && let Ok(text) = main.text().await
            {
                return text;
            }
            deadline.wait(|| "no <main> on the page".to_owned()).await;
        }
    }

    /// Waits (5 s at most) until the page's `<main>` says `expected`; its text.
    pub async fn wait_text(&self, expected: &str) -> String {
        let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
        loop {
            let text = self.text().await;
            if text.contains(expected) {
                return text;
            }
            deadline
                .wait(|| format!("{expected:?} never showed:\n{text}"))
                .await;
        }
    }

    /// Clicks what `css` selects and waits until the browser is at `path`.
    pub async fn click_to(&self, css: &str, path: &str) {
        self.click(css).await;
        self.wait_path(path).await;
    }

    /// Clicks the first element `css` selects.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// How many elements `css` selects.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .len()
    }

    /// Signs in with `token` on the sign-in page at `base`.
    pub async fn sign_in(&self, base: &str, token: &str) {
        self.goto(&format!("{base}/ui/signin")).await;
        self.client
            .find(Locator::Css("input[name=token]"))
            .await
            .expect("token field")
            .send_keys(token)
            .await
            .expect("type");
        self.click("form button[type=submit]").await;
        self.wait_path("/ui/").await;
    }

    /// Saves a PNG of the window as `name`.png.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write png");
        path
    }

    /// Ends the WebDriver session (then Drop ends chromedriver).
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
