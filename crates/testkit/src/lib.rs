//! Test harness shared by the integration tests of every crate: temporary
//! directories, a throwaway PostgreSQL cluster started with the system's
//! `initdb`/`pg_ctl`, fresh databases on both backends, and an SMTP sink.
//!
//! When `AGORA_REQUIRE_POSTGRES=1` (CI sets it) a missing PostgreSQL is a
//! failure; otherwise PostgreSQL tests print why they skipped.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use agora_core::secrets::random_token;
use agora_store::{Backend, ConnectOptions, Db};

pub mod health;
pub mod ical;
pub mod peers;

/// A directory removed when dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "agora-{label}-{}-{}",
            std::process::id(),
            random_token(6).to_lowercase()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn postgres_required() -> bool {
    std::env::var("AGORA_REQUIRE_POSTGRES").is_ok_and(|value| value == "1")
}

/// A PostgreSQL cluster for this test process.
#[derive(Debug)]
pub struct PgCluster {
    /// `postgres://postgres@127.0.0.1:PORT` without a database name.
    base_url: String,
    bin_dir: Option<PathBuf>,
    port: u16,
}

static CLUSTER: OnceLock<Result<PgCluster, String>> = OnceLock::new();
static DATABASE_COUNTER: AtomicU64 = AtomicU64::new(0);

fn postgres_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    dirs.sort_by_key(|dir| {
        dir.parent()
            .and_then(|version| version.file_name())
            .and_then(|name| name.to_str())
            .and_then(|name| name.parse::<u32>().ok())
    });
    dirs.pop()
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|error| format!("{command:?}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn start_cluster() -> Result<PgCluster, String> {
    if let Ok(url) = std::env::var("AGORA_TEST_POSTGRES_URL") {
        let port = url
            .rsplit(':')
            .next()
            .and_then(|port| port.split('/').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or(5432);
        return Ok(PgCluster {
            base_url: url.trim_end_matches('/').to_owned(),
            bin_dir: None,
            port,
        });
    }
    let bin = postgres_bin_dir().ok_or(
        "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)",
    )?;
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false);
    // PostgreSQL refuses to run as root, so as root the cluster belongs to an unprivileged user.
    let os_user = "agora-pg";
    let as_user = |program: &Path| {
        if is_root {
            let mut command = Command::new("runuser");
            command.args(["-u", os_user, "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    };
    if is_root
        && !Command::new("id")
            .arg(os_user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    {
        run(Command::new("useradd").args([
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            os_user,
        ]))?;
    }
    let root = PathBuf::from(format!(
        "/tmp/agora-test-pg-{}-{}",
        std::process::id(),
        random_token(4).to_lowercase().replace(['-', '_'], "x")
    ));
    std::fs::create_dir_all(&root).map_err(|error| error.to_string())?;
    if is_root {
        run(Command::new("chown").arg(os_user).arg(&root))?;
    }
    let data = root.join("data");
    run(as_user(&bin.join("initdb")).arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        "--no-sync",
    ]))?;
    let port = free_port();
    let options = format!(
        "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} -c max_connections=300 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        root.display()
    );
    run(as_user(&bin.join("pg_ctl"))
        .arg("-D")
        .arg(&data)
        .args(["-o", &options, "-l"])
        .arg(root.join("log"))
        .args(["-w", "-t", "60", "start"]))?;
    // A watchdog stops the cluster and removes its files when this test process exits.
    let stop = if is_root {
        format!(
            "runuser -u {os_user} -- {}/pg_ctl -D {} -m immediate stop",
            bin.display(),
            data.display()
        )
    } else {
        format!(
            "{}/pg_ctl -D {} -m immediate stop",
            bin.display(),
            data.display()
        )
    };
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {root}",
        pid = std::process::id(),
        root = root.display()
    );
    Command::new("sh")
        .args(["-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|error| error.to_string())?;
    Ok(PgCluster {
        base_url: format!("postgres://postgres@127.0.0.1:{port}"),
        bin_dir: Some(bin),
        port,
    })
}

impl PgCluster {
    /// The cluster, started on first use; `None` (after printing why) when
    /// PostgreSQL is unavailable and not required.
    pub fn get() -> Option<&'static PgCluster> {
        match CLUSTER.get_or_init(start_cluster) {
            Ok(cluster) => Some(cluster),
            Err(reason) if postgres_required() => panic!(
                "PostgreSQL is required (AGORA_REQUIRE_POSTGRES=1) but unavailable: {reason}"
            ),
            Err(reason) => {
                eprintln!("skipping PostgreSQL: {reason}");
                None
            }
        }
    }

    /// Creates an empty database and answers its URL.
    pub fn fresh_database_url(&self) -> String {
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            DATABASE_COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let psql = self
            .bin_dir
            .as_ref()
            .map(|bin| bin.join("psql"))
            .unwrap_or_else(|| PathBuf::from("psql"));
        run(Command::new(psql)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qc",
            ])
            .arg(format!("CREATE DATABASE {name}")))
        .unwrap();
        format!("{}/{name}", self.base_url)
    }
}

/// A fresh, migrated database on the given backend, with its temp dir kept alive.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<TempDir>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = TempDir::new("db");
        let url = format!("sqlite://{}", dir.path().join("agora.db").display());
        let db = Db::connect(&url, ConnectOptions::default()).await.unwrap();
        db.migrate().await.unwrap();
        TestDb {
            db,
            url,
            _dir: Some(dir),
        }
    }

    /// `None` when PostgreSQL is unavailable and not required.
    pub async fn postgres() -> Option<TestDb> {
        let cluster = PgCluster::get()?;
        let url = cluster.fresh_database_url();
        let db = Db::connect(&url, ConnectOptions::default()).await.unwrap();
        db.migrate().await.unwrap();
        Some(TestDb {
            db,
            url,
            _dir: None,
        })
    }

    pub async fn on(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite().await),
            Backend::Postgres => Self::postgres().await,
        }
    }
}

/// An SMTP server (aiosmtpd) that stores each message as a file in a Maildir.
pub struct SmtpSink {
    pub port: u16,
    maildir: TempDir,
    child: std::process::Child,
}

const SMTP_SINK: &str = r#"
import asyncio, sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
port, maildir = int(sys.argv[1]), sys.argv[2]
controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
import threading
threading.Event().wait()
"#;

impl SmtpSink {
    /// Starts aiosmtpd (`pip install aiosmtpd`) on a free port.
    pub fn start() -> SmtpSink {
        let maildir = TempDir::new("maildir");
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.path().join(sub)).unwrap();
        }
        let port = free_port();
        let child = Command::new("python3")
            .args(["-c", SMTP_SINK, &port.to_string()])
            .arg(maildir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd)");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start on port {port}; is it installed (pip install aiosmtpd)?"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpSink {
            port,
            maildir,
            child,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, raw.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.path().join("new")) else {
            return Vec::new();
        };
        let mut messages: Vec<(std::time::SystemTime, String)> = entries
            .flatten()
            .filter_map(|entry| {
                let modified = entry.metadata().ok()?.modified().ok()?;
                Some((modified, std::fs::read_to_string(entry.path()).ok()?))
            })
            .collect();
        messages.sort();
        messages.into_iter().map(|(_, text)| text).collect()
    }

    /// Waits until a message to `recipient` arrives (the worker sends mail
    /// asynchronously) and answers it; fails after 30 seconds.
    pub fn wait_for_message_to(&self, recipient: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(message) = self.messages().into_iter().find(|message| {
                message.lines().any(|line| {
                    line.to_ascii_lowercase().starts_with("to:") && line.contains(recipient)
                })
            }) {
                return message;
            }
            assert!(
                Instant::now() < deadline,
                "no e-mail to {recipient} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Decodes quoted-printable soft line breaks and `=3D`, enough to find links in mail.
pub fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let mut out = String::with_capacity(joined.len());
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(value) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(value as char);
            i += 3;
            continue;
        }
        out.push(bytes[i] as char);
        i += 1;
    }
    out
}

/// The first URL in `text` that contains `fragment`.
pub fn find_link(text: &str, fragment: &str) -> Option<String> {
    let decoded = decode_quoted_printable(text);
    decoded
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .find(|word| word.starts_with("http") && word.contains(fragment))
        .map(str::to_owned)
}
