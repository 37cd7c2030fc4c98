//! E-mail as the domain sees it: a message to send, which becomes a job.
//! The connectors crate delivers it; nothing here talks SMTP.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::jobs::NewJob;

pub const SEND_KIND: &str = "email.send";

/// One e-mail to send, as stored in the job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(default)]
    pub html: Option<String>,
    /// Stable id for this message, e.g. `password-reset.42.<digest prefix>`.
    pub message_key: String,
    /// A URL that unsubscribes the recipient, for `List-Unsubscribe`.
    #[serde(default)]
    pub unsubscribe_url: Option<String>,
}

impl OutgoingEmail {
    /// The job that sends this e-mail, enqueued once per message key.
    pub fn into_job(self, now: Timestamp) -> NewJob {
        let key = format!("email:{}", self.message_key);
        NewJob::new(
            SEND_KIND,
            serde_json::to_value(&self).unwrap_or_default(),
            now,
        )
        .unique(key)
        .max_attempts(10)
    }
}
