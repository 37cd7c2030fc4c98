//! Operator commands: check-config, migrate, user add, token create.

use std::io::Read as _;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

use agora_core::accounts::{AccountStore, DisplayName, Email, NewPassword, Role, Slug};
use agora_core::config::Config;
use agora_core::secrets::{HashCost, hash_password, random_token, token_digest};
use agora_core::{Clock, SystemClock};

use crate::serve::open_database;

pub fn check_config(config: &Config) -> ExitCode {
    println!("configuration is valid:");
    for (key, value) in config.describe() {
        println!("  {key} = {value}");
    }
    ExitCode::SUCCESS
}

pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    println!(
        "database is up to date ({}, {} migrations known)",
        db.backend().as_str(),
        agora_store::MIGRATION_COUNT
    );
    Ok(())
}

pub async fn user_add(
    config: &Config,
    email: &str,
    name: &str,
    workspace: &str,
    role: &str,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|error| anyhow::anyhow!("--email: {error}"))?;
    let name = DisplayName::parse(name).map_err(|error| anyhow::anyhow!("--name: {error}"))?;
    let slug = Slug::parse(workspace).map_err(|error| anyhow::anyhow!("--workspace: {error}"))?;
    let role: Role = role
        .parse()
        .map_err(|error| anyhow::anyhow!("--role: {error}"))?;
    let db = open_database(config).await?;
    let now = SystemClock.now();
    let account = match db.credentials_by_email(&email).await? {
        Some(existing) => {
            println!("account {email} exists; updating its membership");
            existing.account
        }
        None => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .context("reading the password from standard input")?;
            let password = input.lines().next().unwrap_or_default();
            let password = NewPassword::parse(password)
                .map_err(|error| anyhow::anyhow!("password (standard input): {error}"))?;
            let hash = hash_password(password.expose(), HashCost::Production);
            let account = db.create_account(&email, &name, &hash, now).await?;
            println!("created account {email}");
            account
        }
    };
    let workspace = match db.workspace_by_slug(slug.as_str()).await? {
        Some(workspace) => workspace,
        None => {
            println!("created workspace {slug}");
            db.create_workspace(&slug, slug.as_str(), false, now)
                .await?
        }
    };
    db.upsert_membership(account.id, workspace.id, role, now)
        .await?;
    println!("{email} is {} in {}", role.as_str(), workspace.slug);
    Ok(())
}

pub async fn token_create(config: &Config, email: &str, name: &str) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|error| anyhow::anyhow!("--email: {error}"))?;
    let db = open_database(config).await?;
    let Some(credentials) = db.credentials_by_email(&email).await? else {
        bail!("no account with e-mail {email}")
    };
    let secret = format!("agp_{}", random_token(32));
    let prefix: String = secret.chars().take(10).collect();
    db.create_api_token(
        credentials.account.id,
        name,
        &token_digest(&secret),
        &prefix,
        SystemClock.now(),
    )
    .await?;
    eprintln!("token for {email} (shown once; store it now):");
    println!("{secret}");
    Ok(())
}

/// Seals every channel's credentials under the current `secret_key`, opening
/// them with it or with `secret_key_previous`; run after a rotation.
pub async fn reseal(config: &Config) -> anyhow::Result<()> {
    use agora_core::posts::PostStore;
    let db = open_database(config).await?;
    let sealer = crate::serve::sealer(config)?;
    let (mut resealed, mut current) = (0, 0);
    for (channel, sealed) in db.all_channel_credentials().await? {
        if sealer.is_current(&sealed) {
            current += 1;
            continue;
        }
        let plain = sealer
            .open(&sealed)
            .map_err(|error| anyhow::anyhow!("channel {channel}: {error}"))?;
        db.set_channel_credentials(channel, &sealer.seal(plain.expose()), false)
            .await?;
        resealed += 1;
    }
    println!(
        "Resealed {resealed} channel(s) under key {}; {current} already were.",
        sealer.key_id()
    );
    Ok(())
}
