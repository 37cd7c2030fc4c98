//! Real protocol peers for integration tests (a Mastodon mock, a Bluesky PDS,
//! a Matrix homeserver, …), started with the scripts in `tools/peers/` on a
//! free port and stopped when the [`Peer`] is dropped.
//!
//! When `AGORA_REQUIRE_PEERS=1` (CI sets it) a peer that cannot start fails the
//! test with the script's output; otherwise the test is told (`None`) and
//! should return early, after a line saying which peer is missing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::free_port;

fn peers_required() -> bool {
    std::env::var("AGORA_REQUIRE_PEERS").is_ok_and(|value| value == "1")
}

/// `tools/peers`, found by walking up from this crate.
fn peers_dir() -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("tools").join("peers"))
        .find(|dir| dir.is_dir())
}

/// A running peer; stopped on drop.
#[derive(Debug)]
pub struct Peer {
    /// What the script printed: `MASTODON_URL`, `PDS_DID`, …
    pub env: HashMap<String, String>,
    pub name: String,
    pub port: u16,
    script: PathBuf,
}

impl Peer {
    /// Starts `tools/peers/{name}.sh` on a free port (the PDS also takes the
    /// port below it) and waits until it answers. `None`, after saying why,
    /// when it cannot start and `AGORA_REQUIRE_PEERS` is not `1`.
    pub fn start(name: &str) -> Option<Peer> {
        match Self::try_start(name) {
            Ok(peer) => Some(peer),
            Err(reason) if peers_required() => {
                panic!(
                    "peer {name} is required (AGORA_REQUIRE_PEERS=1) but did not start: {reason}"
                )
            }
            Err(reason) => {
                eprintln!("skipping: peer {name} is missing: {reason}");
                None
            }
        }
    }

    fn try_start(name: &str) -> Result<Peer, String> {
        let dir = peers_dir().ok_or("no tools/peers directory above this crate")?;
        let script = dir.join(format!("{name}.sh"));
        if !script.is_file() {
            return Err(format!("{} does not exist", script.display()));
        }
        let port = if name == "pds" {
            free_port_pair()
        } else {
            free_port()
        };
        let output = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(port.to_string())
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("could not run {}: {error}", script.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            // The script kills what it started when it fails; stop anyway.
            let _ = stop(&script, port);
            return Err(format!(
                "{} start {port} exited with {}:\n{}{}",
                script.display(),
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let env: HashMap<String, String> = stdout
            .lines()
            .filter_map(|line| line.trim().split_once('='))
            .filter(|(key, _)| {
                !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect();
        let pid = env
            .iter()
            .find(|(key, _)| key.ends_with("_PID"))
            .map(|(_, pid)| pid.clone());
        if let Some(pid) = pid {
            watch(&script, name, port, &pid);
        }
        Ok(Peer {
            env,
            name: name.to_owned(),
            port,
            script,
        })
    }

    /// A value the script printed; panics with the keys it did print otherwise.
    pub fn var(&self, key: &str) -> &str {
        self.env.get(key).map(String::as_str).unwrap_or_else(|| {
            let mut keys: Vec<&String> = self.env.keys().collect();
            keys.sort();
            panic!("peer {} printed no {key}; it printed {keys:?}", self.name)
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        match stop(&self.script, self.port) {
            // The instance's state (data, log) was only for this run.
            Ok(()) => {
                let _ = std::fs::remove_dir_all(state_dir(&self.name, self.port));
            }
            Err(reason) => eprintln!(
                "stopping peer {} on port {}: {reason}",
                self.name, self.port
            ),
        }
    }
}

/// Where the scripts keep an instance's state (`$PEERS_CACHE/run/NAME-PORT`).
fn state_dir(name: &str, port: u16) -> PathBuf {
    let cache = std::env::var_os("PEERS_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/agora-peers"))
        })
        .unwrap_or_else(|| PathBuf::from("/nonexistent"));
    cache.join("run").join(format!("{name}-{port}"))
}

fn stop(script: &Path, port: u16) -> Result<(), String> {
    let output = Command::new("bash")
        .arg(script)
        .arg("stop")
        .arg(port.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(|error| error.to_string())?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Stops the peer if this test process dies without dropping it (a killed
/// test run), so no peer outlives its tests; but only if the instance on that
/// port is still the one started here (the port may have been reused).
fn watch(script: &Path, name: &str, port: u16, peer_pid: &str) {
    let watchdog = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         state=\"${{PEERS_CACHE:-$HOME/.cache/agora-peers}}/run/{name}-{port}/pid\"; \
         [ \"$(cat \"$state\" 2>/dev/null)\" = '{peer_pid}' ] && bash '{script}' stop {port} >/dev/null 2>&1",
        pid = std::process::id(),
        script = script.display(),
    );
    let _ = Command::new("sh")
        .args(["-c", &watchdog])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

/// A port `p` such that `p` and `p - 1` are both free (the PDS listens on
/// `p`, its PLC directory on `p - 1`).
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let port = free_port();
        if port > 1024 && std::net::TcpListener::bind(("127.0.0.1", port - 1)).is_ok() {
            return port;
        }
    }
    free_port()
}
