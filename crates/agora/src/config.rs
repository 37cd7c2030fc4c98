//! Reads the configuration layers (file, environment, flags) and hands them to
//! the core's validator. Only this module touches the environment.

use std::path::PathBuf;

use agora_core::config::{Config, ConfigError, Layers};

use crate::StorageArgs;

/// Flags of the current subcommand that override configuration keys.
#[derive(Debug, Default)]
pub struct Flags {
    pub listen: Option<String>,
}

pub fn load(storage: &StorageArgs, flags: &Flags) -> Result<Config, ConfigError> {
    let env: Vec<(String, String)> = std::env::vars()
        .filter(|(name, _)| name.starts_with("AGORA_"))
        .collect();
    let env_pairs = || {
        env.iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    };

    // The data directory decides where the default file is, so resolve it first.
    let mut probe = Layers::new();
    probe.add_env(env_pairs());
    if let Some(dir) = &storage.data_dir {
        probe.set_flag("data_dir", dir.display().to_string(), "--data-dir");
    }
    let data_dir = PathBuf::from(probe.get("data_dir").unwrap_or("agora-data"));

    let mut layers = Layers::new();
    let file = match &storage.config {
        Some(path) => Some(path.clone()),
        None => [data_dir.join("agora.toml"), PathBuf::from("agora.toml")]
            .into_iter()
            .find(|path| path.exists()),
    };
    if let Some(path) = file {
        let text = std::fs::read_to_string(&path).map_err(|error| ConfigError {
            key: "(file)".into(),
            origin: format!("file {}", path.display()),
            message: error.to_string(),
        })?;
        layers.add_toml(&text, &path.display().to_string())?;
    }
    layers.add_env(env_pairs());
    if let Some(dir) = &storage.data_dir {
        layers.set_flag("data_dir", dir.display().to_string(), "--data-dir");
    }
    if let Some(url) = &storage.database_url {
        layers.set_flag("database_url", url.clone(), "--database-url");
    }
    if let Some(listen) = &flags.listen {
        layers.set_flag("listen", listen.clone(), "--listen");
    }
    layers.build()
}
