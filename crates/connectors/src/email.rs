//! Outgoing e-mail: the `email.send` job handler, over SMTP with lettre, or
//! into an outbox directory of `.eml` files when no SMTP server is configured
//! (the demo's case), so that no e-mail is silently lost.
//!
//! SMTP has no deduplication, so delivery is at least once; each message gets
//! a deterministic `Message-ID` chosen by whoever enqueued it, so a receiving
//! system can recognise a repeat.

use std::path::PathBuf;
use std::sync::Arc;

use agora_core::Secret;
use agora_core::email::{OutgoingEmail, SEND_KIND};
use agora_core::jobs::ClaimedJob;
use agora_jobs::{JobError, Registry};
use lettre::message::{MultiPart, header};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Where e-mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: String,
    },
    /// Writes each message to `<dir>/<message key>.eml`.
    Outbox { dir: PathBuf, from: String },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp(from {from})"),
            Mailer::Outbox { dir, .. } => write!(f, "Mailer::Outbox({})", dir.display()),
        }
    }
}

impl Mailer {
    /// An SMTP mailer from `smtp://`, `smtps://` or `smtp+starttls://` URLs.
    pub fn smtp(url: &Secret, from: &str) -> Result<Self, String> {
        let raw = url.expose();
        let normalised = match raw.strip_prefix("smtp+starttls://") {
            Some(rest) => format!(
                "smtp://{rest}{}tls=required",
                if rest.contains('?') { "&" } else { "?" }
            ),
            None => raw.to_owned(),
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&normalised)
            .map_err(|error| format!("smtp.url is not usable: {error}"))?
            .build();
        Ok(Mailer::Smtp {
            transport,
            from: from.to_owned(),
        })
    }

    pub fn outbox(dir: PathBuf, from: &str) -> Self {
        Mailer::Outbox {
            dir,
            from: from.to_owned(),
        }
    }

    fn from(&self) -> &str {
        match self {
            Mailer::Smtp { from, .. } | Mailer::Outbox { from, .. } => from,
        }
    }

    fn build(&self, email: &OutgoingEmail) -> Result<Message, JobError> {
        let permanent = |what: &str, error: &dyn std::fmt::Display| {
            JobError::Permanent(format!("{what}: {error}"))
        };
        let domain = self
            .from()
            .rsplit('@')
            .next()
            .unwrap_or("localhost")
            .trim_end_matches('>')
            .to_owned();
        let mut builder = Message::builder()
            .from(
                self.from()
                    .parse()
                    .map_err(|error| permanent("bad From address", &error))?,
            )
            .to(email
                .to
                .parse()
                .map_err(|error| permanent("bad recipient address", &error))?)
            .subject(&email.subject)
            .message_id(Some(format!("<{}@{domain}>", email.message_key)));
        if let Some(url) = &email.unsubscribe_url {
            builder = builder
                .raw_header(header::HeaderValue::new(
                    header::HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(header::HeaderValue::new(
                    header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = match &email.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                html.clone(),
            )),
            None => builder
                .header(header::ContentType::TEXT_PLAIN)
                .body(email.text.clone()),
        };
        message.map_err(|error| permanent("could not build the message", &error))
    }

    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), JobError> {
        let message = self.build(email)?;
        match self {
            Mailer::Smtp { transport, .. } => match transport.send(message).await {
                Ok(_) => Ok(()),
                Err(error) if error.is_permanent() => Err(JobError::Permanent(format!(
                    "SMTP refused the message: {error}"
                ))),
                Err(error) => Err(JobError::Retry(format!("SMTP: {error}"))),
            },
            Mailer::Outbox { dir, .. } => {
                let safe_key: String = email
                    .message_key
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|error| JobError::Retry(format!("outbox: {error}")))?;
                tokio::fs::write(dir.join(format!("{safe_key}.eml")), message.formatted())
                    .await
                    .map_err(|error| JobError::Retry(format!("outbox: {error}")))?;
                tracing::info!(to = %email.to, subject = %email.subject, outbox = %dir.display(), "e-mail written to the outbox (no SMTP configured)");
                Ok(())
            }
        }
    }
}

/// Registers the `email.send` handler.
pub fn register(registry: &mut Registry, mailer: Mailer) {
    let mailer = Arc::new(mailer);
    registry.register(SEND_KIND, move |job: ClaimedJob| {
        let mailer = mailer.clone();
        async move {
            let email: OutgoingEmail = serde_json::from_value(job.payload)
                .map_err(|error| JobError::Permanent(format!("bad e-mail payload: {error}")))?;
            mailer.send(&email).await
        }
    });
}
