//! Configuration: defaults, then `agora.toml`, then `AGORA_*` environment
//! variables, then command-line flags, each layer overriding the one before.
//!
//! The binary reads the file and the environment and hands the raw layers in;
//! this module only parses and validates, once, at start-up. An invalid value
//! is reported with its key and where it came from; secrets are kept in
//! [`Secret`] so that printing the config never shows them.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Serialize;
use thiserror::Error;

use crate::secrets::Secret;

/// Where a configuration value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(String),
    Env(String),
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("the default"),
            Origin::File(path) => write!(f, "file {path}"),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Flag(name) => write!(f, "flag {name}"),
        }
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("invalid configuration: `{key}` (from {origin}): {message}")]
pub struct ConfigError {
    pub key: String,
    pub origin: String,
    pub message: String,
}

/// Every key Agora reads, with its default and whether it is secret.
pub const KEYS: &[(&str, Option<&str>, bool, &str)] = &[
    (
        "data_dir",
        Some("agora-data"),
        false,
        "directory for the SQLite database and uploads",
    ),
    (
        "database_url",
        None,
        true,
        "postgres://… for PostgreSQL; default: SQLite at <data_dir>/agora.db",
    ),
    (
        "listen",
        Some("127.0.0.1:8080"),
        false,
        "address the web server listens on",
    ),
    (
        "public_url",
        None,
        false,
        "URL users reach Agora at (links in e-mails; https makes cookies Secure); default: http://<listen>",
    ),
    ("log.format", Some("text"), false, "text or json"),
    (
        "log.level",
        Some("info"),
        false,
        "error, warn, info, debug or trace (or a tracing filter)",
    ),
    (
        "smtp.url",
        None,
        true,
        "smtp://user:pass@host:port (plain), smtps://… (TLS) or smtp+starttls://…; unset: e-mails are written to <data_dir>/outbox as .eml files",
    ),
    (
        "smtp.from",
        Some("Agora <agora@localhost>"),
        false,
        "From address of Agora's e-mails",
    ),
    (
        "secret_key",
        None,
        true,
        "key sealing network credentials at rest (32+ characters); unset: generated once into <data_dir>/secret.key",
    ),
    (
        "secret_key_previous",
        None,
        true,
        "the key before a rotation: credentials it sealed still open until `agora reseal`",
    ),
    (
        "worker.concurrency",
        Some("8"),
        false,
        "jobs one worker process runs at once (1-256)",
    ),
    (
        "worker.lease_seconds",
        Some("300"),
        false,
        "how long a claimed job is a worker's before another may take it over (2-3600)",
    ),
    (
        "worker.poll_interval_ms",
        Some("200"),
        false,
        "how often an idle worker looks for due jobs (10-60000)",
    ),
    (
        "session.days",
        Some("30"),
        false,
        "how long a sign-in lasts (1-365)",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: Option<Secret>,
    pub listen: SocketAddr,
    pub public_url: String,
    pub log_format: LogFormat,
    pub log_level: String,
    pub smtp_url: Option<Secret>,
    pub smtp_from: String,
    pub secret_key: Option<Secret>,
    pub secret_key_previous: Option<Secret>,
    pub worker_concurrency: i64,
    pub worker_poll_interval_ms: i64,
    pub worker_lease_seconds: i64,
    pub session_days: i64,
}

impl Config {
    /// The database to use: the configured URL, else SQLite in the data directory.
    pub fn effective_database_url(&self) -> Secret {
        match &self.database_url {
            Some(url) => url.clone(),
            None => Secret::new(format!(
                "sqlite://{}",
                self.data_dir.join("agora.db").display()
            )),
        }
    }

    /// Cookies get `Secure` when users reach Agora over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// A printable view, secrets shown as set or unset, never their value.
    pub fn describe(&self) -> Vec<(String, String)> {
        let secret = |value: &Option<Secret>| {
            if value.is_some() {
                "[set, redacted]".to_owned()
            } else {
                "[unset]".to_owned()
            }
        };
        vec![
            ("data_dir".into(), self.data_dir.display().to_string()),
            ("database_url".into(), secret(&self.database_url)),
            ("listen".into(), self.listen.to_string()),
            ("public_url".into(), self.public_url.clone()),
            (
                "log.format".into(),
                format!("{:?}", self.log_format).to_lowercase(),
            ),
            ("log.level".into(), self.log_level.clone()),
            ("smtp.url".into(), secret(&self.smtp_url)),
            ("smtp.from".into(), self.smtp_from.clone()),
            ("secret_key".into(), secret(&self.secret_key)),
            (
                "secret_key_previous".into(),
                secret(&self.secret_key_previous),
            ),
            (
                "worker.concurrency".into(),
                self.worker_concurrency.to_string(),
            ),
            (
                "worker.poll_interval_ms".into(),
                self.worker_poll_interval_ms.to_string(),
            ),
            (
                "worker.lease_seconds".into(),
                self.worker_lease_seconds.to_string(),
            ),
            ("session.days".into(), self.session_days.to_string()),
        ]
    }
}

/// Raw values by key, each with its origin; later layers override earlier ones.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    values: BTreeMap<String, (String, Origin)>,
}

impl Layers {
    pub fn new() -> Self {
        let mut layers = Self::default();
        for (key, default, _, _) in KEYS {
            if let Some(value) = default {
                layers
                    .values
                    .insert((*key).to_owned(), ((*value).to_owned(), Origin::Default));
            }
        }
        layers
    }

    /// Adds a parsed `agora.toml`: nested tables become dotted keys.
    pub fn add_toml(&mut self, text: &str, path: &str) -> Result<(), ConfigError> {
        let table: toml::Table = text.parse().map_err(|error: toml::de::Error| ConfigError {
            key: "(file)".into(),
            origin: format!("file {path}"),
            message: error.to_string(),
        })?;
        let mut flat = Vec::new();
        flatten("", &toml::Value::Table(table), &mut flat);
        for (key, value) in flat {
            if !KEYS.iter().any(|(known, ..)| *known == key) {
                return Err(ConfigError {
                    key,
                    origin: format!("file {path}"),
                    message: "unknown key".into(),
                });
            }
            self.values
                .insert(key, (value, Origin::File(path.to_owned())));
        }
        Ok(())
    }

    /// Adds `AGORA_*` variables: `AGORA_WORKER_CONCURRENCY` sets `worker.concurrency`.
    pub fn add_env<'a>(&mut self, vars: impl IntoIterator<Item = (&'a str, &'a str)>) {
        for (name, value) in vars {
            if let Some(key) = key_for_env(name) {
                self.values.insert(
                    key.to_owned(),
                    (value.to_owned(), Origin::Env(name.to_owned())),
                );
            }
        }
    }

    pub fn set_flag(&mut self, key: &str, value: impl Into<String>, flag: &str) {
        self.values.insert(
            key.to_owned(),
            (value.into(), Origin::Flag(flag.to_owned())),
        );
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(value, _)| value.as_str())
    }

    /// Validates every value and builds the [`Config`].
    pub fn build(&self) -> Result<Config, ConfigError> {
        let error = |key: &str, message: String| {
            let origin = self
                .values
                .get(key)
                .map(|(_, origin)| origin.to_string())
                .unwrap_or_else(|| "the default".into());
            ConfigError {
                key: key.to_owned(),
                origin,
                message,
            }
        };
        let text = |key: &str| {
            self.get(key)
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };
        let number =
            |key: &str, range: std::ops::RangeInclusive<i64>| -> Result<i64, ConfigError> {
                let raw = text(key).unwrap_or_default();
                let value: i64 = raw
                    .parse()
                    .map_err(|_| error(key, format!("`{raw}` is not a whole number")))?;
                if !range.contains(&value) {
                    return Err(error(
                        key,
                        format!("{value} is outside {}..={}", range.start(), range.end()),
                    ));
                }
                Ok(value)
            };

        let data_dir = PathBuf::from(
            text("data_dir").ok_or_else(|| error("data_dir", "must not be empty".into()))?,
        );
        let listen_raw = text("listen").unwrap_or_default();
        let listen: SocketAddr = listen_raw.parse().map_err(|_| {
            error(
                "listen",
                format!("`{listen_raw}` is not an address like 127.0.0.1:8080"),
            )
        })?;
        let database_url = match text("database_url") {
            None => None,
            Some(url)
                if url.starts_with("postgres://")
                    || url.starts_with("postgresql://")
                    || url.starts_with("sqlite:") =>
            {
                Some(Secret::new(url))
            }
            Some(_) => {
                return Err(error(
                    "database_url",
                    "must start with postgres://, postgresql:// or sqlite:".into(),
                ));
            }
        };
        let public_url = match text("public_url") {
            None => format!("http://{listen}"),
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_owned()
            }
            Some(url) => {
                return Err(error(
                    "public_url",
                    format!("`{url}` must start with http:// or https://"),
                ));
            }
        };
        let log_format = match text("log.format") {
            Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            other => {
                return Err(error(
                    "log.format",
                    format!("`{}` is not text or json", other.unwrap_or_default()),
                ));
            }
        };
        let log_level = text("log.level").unwrap_or("info").to_owned();
        let smtp_url = match text("smtp.url") {
            None => None,
            Some(url)
                if ["smtp://", "smtps://", "smtp+starttls://"]
                    .iter()
                    .any(|scheme| url.starts_with(scheme)) =>
            {
                Some(Secret::new(url))
            }
            Some(_) => {
                return Err(error(
                    "smtp.url",
                    "must start with smtp://, smtps:// or smtp+starttls://".into(),
                ));
            }
        };
        let smtp_from = text("smtp.from").unwrap_or_default().to_owned();
        if !smtp_from.contains('@') {
            return Err(error(
                "smtp.from",
                format!("`{smtp_from}` is not an e-mail address"),
            ));
        }
        let secret_key = match text("secret_key") {
            None => None,
            Some(key) if key.chars().count() >= 32 => Some(Secret::new(key)),
            Some(_) => return Err(error("secret_key", "must be at least 32 characters".into())),
        };
        let secret_key_previous = match text("secret_key_previous") {
            None => None,
            Some(key) if key.chars().count() >= 32 => Some(Secret::new(key)),
            Some(_) => {
                return Err(error(
                    "secret_key_previous",
                    "must be at least 32 characters".into(),
                ));
            }
        };
        Ok(Config {
            data_dir,
            database_url,
            listen,
            public_url,
            log_format,
            log_level,
            smtp_url,
            smtp_from,
            secret_key,
            secret_key_previous,
            worker_concurrency: number("worker.concurrency", 1..=256)?,
            worker_poll_interval_ms: number("worker.poll_interval_ms", 10..=60_000)?,
            worker_lease_seconds: number("worker.lease_seconds", 2..=3_600)?,
            session_days: number("session.days", 1..=365)?,
        })
    }
}

/// The environment variable that sets `key`.
pub fn env_name(key: &str) -> String {
    format!("AGORA_{}", key.replace('.', "_").to_uppercase())
}

fn key_for_env(name: &str) -> Option<&'static str> {
    KEYS.iter()
        .map(|(key, ..)| *key)
        .find(|key| env_name(key) == name)
}

fn flatten(prefix: &str, value: &toml::Value, out: &mut Vec<(String, String)>) {
    match value {
        toml::Value::Table(table) => {
            for (name, inner) in table {
                let key = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                flatten(&key, inner, out);
            }
        }
        toml::Value::String(text) => out.push((prefix.to_owned(), text.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let config = Layers::new().build().expect("defaults build");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert!(
            config
                .effective_database_url()
                .expose()
                .ends_with("agora-data/agora.db")
        );
        assert!(!config.secure_cookies());
    }

    #[test]
    fn layers_override_in_order_and_errors_name_the_key() {
        let mut layers = Layers::new();
        layers
            .add_toml(
                "listen = \"0.0.0.0:9000\"\n[worker]\nconcurrency = 4\n",
                "agora.toml",
            )
            .expect("toml");
        assert_eq!(layers.build().expect("valid").worker_concurrency, 4);
        layers.add_env([("AGORA_WORKER_CONCURRENCY", "3"), ("HOME", "/root")]);
        assert_eq!(layers.build().expect("valid").worker_concurrency, 3);
        layers.set_flag("listen", "127.0.0.1:1", "--listen");
        assert_eq!(layers.build().expect("valid").listen.port(), 1);

        layers.add_env([("AGORA_WORKER_CONCURRENCY", "lots")]);
        let error = layers.build().expect_err("invalid");
        assert_eq!(error.key, "worker.concurrency");
        assert!(
            error.to_string().contains("AGORA_WORKER_CONCURRENCY"),
            "{error}"
        );
    }

    #[test]
    fn unknown_file_keys_and_bad_urls_are_refused() {
        let mut layers = Layers::new();
        assert_eq!(
            layers
                .add_toml("colour = \"blue\"", "a.toml")
                .expect_err("unknown")
                .key,
            "colour"
        );
        layers.set_flag("database_url", "mysql://x", "--database-url");
        assert_eq!(layers.build().expect_err("bad url").key, "database_url");
    }

    #[test]
    fn secrets_are_redacted_in_descriptions() {
        let mut layers = Layers::new();
        layers.set_flag("smtp.url", "smtp://user:hunter2@mail:25", "--smtp-url");
        let config = layers.build().expect("valid");
        let printed = format!("{config:?} {:?}", config.describe());
        assert!(!printed.contains("hunter2"), "{printed}");
    }
}
