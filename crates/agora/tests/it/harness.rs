//! Starting `agora` processes and a WebDriver-controlled Chromium for tests.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agora_testkit::{TempDir, free_port};

pub fn agora_binary() -> &'static str {
    env!("CARGO_BIN_EXE_agora")
}

/// An `agora` command with a clean environment apart from what the test sets.
pub fn agora(data_dir: &Path) -> Command {
    let mut command = Command::new(agora_binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AGORA_LOG_LEVEL", "warn")
        .arg("--data-dir")
        .arg(data_dir);
    command
}

/// Runs `agora user add`, the password on standard input.
pub fn add_user(
    data_dir: &Path,
    database_url: Option<&str>,
    email: &str,
    name: &str,
    workspace: &str,
    role: &str,
    password: &str,
) {
    let mut command = agora(data_dir);
    if let Some(url) = database_url {
        command.arg("--database-url").arg(url);
    }
    let mut child = command
        .args([
            "user",
            "add",
            "--email",
            email,
            "--name",
            name,
            "--workspace",
            workspace,
            "--role",
            role,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "user add failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A running `agora serve` (or `demo`) process, stopped with SIGTERM on drop.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Starts `agora <args>` with `--listen 127.0.0.1:0` and waits for its address.
    pub fn start(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = agora(data_dir);
        command
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.split("http://").nth(1) {
                    let _ = sender.send(
                        address
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    );
                }
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(120))
            .expect("agora did not print its address");
        Server {
            child,
            base: format!("http://{address}"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and waits; answers whether it exited successfully.
    pub fn stop(&mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child
            .wait()
            .map(|status| status.success())
            .unwrap_or(false)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

/// A process that is not a server (a worker), stopped with SIGTERM on drop.
pub struct Background(pub Child);

impl Background {
    pub fn stop(&mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        self.0
            .wait()
            .map(|status| status.success())
            .unwrap_or(false)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.stop();
        }
    }
}

/// Polls `condition` every 50 ms until it holds; fails after `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !condition().await {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn browser_required() -> bool {
    std::env::var("AGORA_REQUIRE_BROWSER").is_ok_and(|value| value == "1")
}

/// Where screenshots go: `target/test-artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Chromium under chromedriver, headless, with a fresh profile.
pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
    _profile: TempDir,
}

impl Browser {
    /// `None` (after saying why) when Chromium is missing and not required.
    pub async fn start() -> Option<Browser> {
        let (chromium, chromedriver) = (
            Path::new("/usr/bin/chromium"),
            Path::new("/usr/bin/chromedriver"),
        );
        if !chromium.exists() || !chromedriver.exists() {
            assert!(
                !browser_required(),
                "AGORA_REQUIRE_BROWSER=1 but chromium or chromedriver is missing (apt-get install chromium chromium-driver)"
            );
            eprintln!("skipping browser test: chromium or chromedriver is not installed");
            return None;
        }
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = TempDir::new("chromium-profile");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.path().display())],
            }),
        );
        let client = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("connecting to chromedriver");
        Some(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    pub async fn screenshot(&self, name: &str) {
        if let Ok(png) = self.client.screenshot().await {
            let path = artifacts_dir().join(format!("{name}.png"));
            let _ = std::fs::write(&path, png);
            eprintln!("screenshot: {}", path.display());
        }
    }

    /// Fills the field with this id.
    pub async fn fill(&self, id: &str, text: &str) -> Result<(), fantoccini::error::CmdError> {
        let field = self.client.find(fantoccini::Locator::Id(id)).await?;
        field.clear().await?;
        field.send_keys(text).await
    }

    /// Clicks and, when the click navigates, waits until the old page is gone
    /// (its elements go stale), so the next step sees the new page.
    pub async fn click_css(&self, selector: &str) -> Result<(), fantoccini::error::CmdError> {
        let old_html = self.client.find(fantoccini::Locator::Css("html")).await?;
        self.client
            .find(fantoccini::Locator::Css(selector))
            .await?
            .click()
            .await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while old_html.tag_name().await.is_ok() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Ok(())
    }

    /// The visible text of the page's `<main>`.
    pub async fn main_text(&self) -> Result<String, fantoccini::error::CmdError> {
        self.client
            .find(fantoccini::Locator::Css("main"))
            .await?
            .text()
            .await
    }

    pub async fn path(&self) -> Result<String, fantoccini::error::CmdError> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        })
    }

    pub async fn close(self) {
        let Browser {
            client, mut driver, ..
        } = self;
        let _ = client.close().await;
        let _ = driver.kill();
        let _ = driver.wait();
    }
}

/// Runs a browser scenario; on failure saves a screenshot named after the
/// test, then fails the test with the error.
pub async fn with_browser<F>(name: &str, scenario: F)
where
    F: AsyncFnOnce(&Browser) -> Result<(), String>,
{
    let Some(browser) = Browser::start().await else {
        return;
    };
    let outcome = scenario(&browser).await;
    if let Err(error) = &outcome {
        browser.screenshot(&format!("FAILED-{name}")).await;
        browser.close().await;
        panic!("{name}: {error}");
    }
    browser.close().await;
}
