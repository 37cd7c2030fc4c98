//! Accounts, workspaces, memberships and roles: who may do what where.
//!
//! An account is global (one e-mail, one password); a workspace is one brand
//! or client; a membership gives an account one role in one workspace. Every
//! route declares an [`Access`] level and [`Access::allows`] is the single
//! rule deciding whether a role passes it.

use std::fmt;
use std::future::Future;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::clock::Timestamp;
use crate::error::{ErrorKind, StoreError};

/// Errors of the accounts context, each naming the field at fault when there is one.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AccountError {
    #[error("{message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    #[error("e-mail or password is wrong")]
    BadCredentials,
    #[error("too many sign-in attempts; try again in a few minutes")]
    RateLimited,
    #[error("this link has expired or was already used")]
    ExpiredToken,
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    #[error("this workspace is invite-only")]
    InviteOnly,
}

impl AccountError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidField {
            field,
            message: message.into(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            AccountError::InvalidField { .. } => ErrorKind::InvalidInput,
            AccountError::BadCredentials => ErrorKind::Unauthenticated,
            AccountError::RateLimited => ErrorKind::RateLimited,
            AccountError::ExpiredToken => ErrorKind::InvalidInput,
            AccountError::EmailTaken => ErrorKind::Conflict,
            AccountError::InviteOnly => ErrorKind::Forbidden,
        }
    }

    /// The form field this error belongs next to, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AccountError::InvalidField { field, .. } => Some(field),
            AccountError::EmailTaken => Some("email"),
            _ => None,
        }
    }
}

/// A syntactically plausible e-mail address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let value = raw.trim().to_lowercase();
        let invalid =
            || AccountError::invalid("email", "enter an e-mail address like name@example.com");
        if value.is_empty() || value.len() > 254 || value.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.is_empty()
            || domain.contains('@')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name: 1 to 80 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let value = raw.trim();
        let n_chars = value.chars().count();
        if n_chars == 0 {
            return Err(AccountError::invalid("name", "enter a name"));
        }
        if n_chars > 80 {
            return Err(AccountError::invalid("name", "use at most 80 characters"));
        }
        if value.chars().any(char::is_control) {
            return Err(AccountError::invalid("name", "remove control characters"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that satisfies the policy (NIST 800-63B: length, not composition).
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;

    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let n_chars = raw.chars().count();
        if n_chars < Self::MIN_CHARS {
            return Err(AccountError::invalid(
                "password",
                format!("use at least {} characters", Self::MIN_CHARS),
            ));
        }
        if n_chars > 512 {
            return Err(AccountError::invalid(
                "password",
                "use at most 512 characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

/// A workspace slug: lower-case ASCII letters, digits and dashes, 2 to 40 long.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let value = raw.trim();
        let ok_chars = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !(2..=40).contains(&value.len())
            || !ok_chars
            || value.starts_with('-')
            || value.ends_with('-')
        {
            return Err(AccountError::invalid(
                "slug",
                "use 2 to 40 lower-case letters, digits and dashes, not starting or ending with a dash",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A role in a workspace. Staff are every role but `member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Marketer,
    CommunityManager,
    Moderator,
    Member,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Marketer,
        Role::CommunityManager,
        Role::Moderator,
        Role::Member,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Marketer => "marketer",
            Role::CommunityManager => "community_manager",
            Role::Moderator => "moderator",
            Role::Member => "member",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Marketer => "Marketer",
            Role::CommunityManager => "Community manager",
            Role::Moderator => "Moderator",
            Role::Member => "Member",
        }
    }

    /// Staff speak for the brand and are counted apart in community metrics.
    pub fn is_staff(self) -> bool {
        self != Role::Member
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AccountError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == raw.trim())
            .ok_or_else(|| {
                AccountError::invalid(
                    "role",
                    "choose one of admin, marketer, community_manager, moderator, member",
                )
            })
    }
}

/// What a route requires. Workspace-scoped levels are checked against the
/// caller's role in the workspace named by the route's `{workspace}` segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in account.
    Account,
    /// Any member of the workspace, staff included: the community side.
    Member,
    /// Any staff role.
    Staff,
    /// The marketer's side: publishing, calendar, inbox.
    Marketing,
    /// The community manager's side: members, events management, welcome.
    Community,
    /// The review queue and sanctions.
    Moderation,
    /// Moderation, also open to a group's own owners and moderators (for
    /// their groups only: the handler checks each item). The workspace
    /// roles this allows are those of `Moderation`.
    GroupModeration,
    /// Analytics: marketers and community managers.
    Analytics,
    /// Workspace settings, roles, failed jobs.
    Admin,
}

impl Access {
    /// Whether a workspace role passes this level. `Public` and `Account` do not
    /// depend on a workspace role and always pass here.
    pub fn allows(self, role: Role) -> bool {
        use Role::*;
        match self {
            Access::Public | Access::Account | Access::Member => true,
            Access::Staff => role.is_staff(),
            Access::Marketing => matches!(role, Admin | Marketer),
            Access::Community => matches!(role, Admin | CommunityManager),
            Access::Moderation | Access::GroupModeration => {
                matches!(role, Admin | CommunityManager | Moderator)
            }
            Access::Analytics => matches!(role, Admin | Marketer | CommunityManager),
            Access::Admin => role == Admin,
        }
    }

    pub fn is_workspace_scoped(self) -> bool {
        !matches!(self, Access::Public | Access::Account)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Account => "account",
            Access::Member => "member",
            Access::Staff => "staff",
            Access::Marketing => "marketing",
            Access::Community => "community",
            Access::Moderation => "moderation",
            Access::GroupModeration => "moderation (or a group's moderators)",
            Access::Analytics => "analytics",
            Access::Admin => "admin",
        }
    }
}

pub type AccountId = i64;
pub type WorkspaceId = i64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub email: String,
    pub name: String,
    pub created_at: Timestamp,
}

/// An account together with its password hash, for sign-in only.
#[derive(Debug, Clone)]
pub struct AccountCredentials {
    pub account: Account,
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub slug: String,
    pub name: String,
    /// Open workspaces let any signed-in account join as a member.
    pub signup_open: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkspaceMembership {
    pub workspace: Workspace,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountMembership {
    pub account: Account,
    pub role: Role,
}

/// A personal access token as listed to its owner (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, so its owner can recognise it.
    pub prefix: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub workspace_slug: String,
    pub workspace_name: String,
    pub email: String,
    pub role: Role,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
}

/// An invitation to store; the token itself is never stored, only its digest.
#[derive(Debug, Clone)]
pub struct NewInvitation<'a> {
    pub workspace_id: WorkspaceId,
    pub email: &'a Email,
    pub role: Role,
    pub digest: &'a str,
    pub invited_by: AccountId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// How long links sent by e-mail stay valid.
pub const PASSWORD_RESET_TTL_MILLIS: i64 = 60 * 60 * 1000;
pub const INVITATION_TTL_MILLIS: i64 = 14 * 24 * 60 * 60 * 1000;
/// Sign-in throttle: at most this many failures per e-mail within the window.
pub const SIGNIN_MAX_FAILURES: i64 = 5;
pub const SIGNIN_WINDOW_MILLIS: i64 = 15 * 60 * 1000;

/// Storage of accounts, workspaces, memberships, sessions, tokens and invitations.
pub trait AccountStore: Send + Sync {
    fn create_account(
        &self,
        email: &Email,
        name: &DisplayName,
        password_hash: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Account, StoreError>> + Send;
    fn account_by_id(
        &self,
        id: AccountId,
    ) -> impl Future<Output = Result<Account, StoreError>> + Send;
    fn credentials_by_email(
        &self,
        email: &Email,
    ) -> impl Future<Output = Result<Option<AccountCredentials>, StoreError>> + Send;
    fn set_password_hash(
        &self,
        id: AccountId,
        password_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn create_workspace(
        &self,
        slug: &Slug,
        name: &str,
        signup_open: bool,
        now: Timestamp,
    ) -> impl Future<Output = Result<Workspace, StoreError>> + Send;
    fn workspace_by_slug(
        &self,
        slug: &str,
    ) -> impl Future<Output = Result<Option<Workspace>, StoreError>> + Send;
    fn list_workspaces(&self) -> impl Future<Output = Result<Vec<Workspace>, StoreError>> + Send;
    fn set_signup_open(
        &self,
        workspace: WorkspaceId,
        open: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds the account to the workspace with `role`, or changes its role; also
    /// makes sure the account has a member profile in that workspace.
    fn upsert_membership(
        &self,
        account: AccountId,
        workspace: WorkspaceId,
        role: Role,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn role_in(
        &self,
        account: AccountId,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Option<Role>, StoreError>> + Send;
    fn memberships_of(
        &self,
        account: AccountId,
    ) -> impl Future<Output = Result<Vec<WorkspaceMembership>, StoreError>> + Send;
    fn memberships_in(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<AccountMembership>, StoreError>> + Send;

    fn create_session(
        &self,
        digest: &str,
        account: AccountId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn session_account(
        &self,
        digest: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;
    fn delete_session(&self, digest: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn delete_sessions_of(
        &self,
        account: AccountId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn create_api_token(
        &self,
        account: AccountId,
        name: &str,
        digest: &str,
        prefix: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<ApiToken, StoreError>> + Send;
    fn api_token_account(
        &self,
        digest: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;
    fn list_api_tokens(
        &self,
        account: AccountId,
    ) -> impl Future<Output = Result<Vec<ApiToken>, StoreError>> + Send;
    fn revoke_api_token(
        &self,
        account: AccountId,
        token: i64,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn create_password_reset(
        &self,
        digest: &str,
        account: AccountId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Marks the reset token used and answers its account, once, if unexpired.
    fn consume_password_reset(
        &self,
        digest: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<AccountId>, StoreError>> + Send;

    fn create_invitation(
        &self,
        invitation: &NewInvitation<'_>,
    ) -> impl Future<Output = Result<Invitation, StoreError>> + Send;
    fn invitation_by_digest(
        &self,
        digest: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<Invitation>, StoreError>> + Send;
    /// Accepts a pending invitation for `account`, adding the membership, once.
    fn accept_invitation(
        &self,
        digest: &str,
        account: AccountId,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<Invitation>, StoreError>> + Send;
    fn list_invitations(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<Vec<Invitation>, StoreError>> + Send;

    fn record_signin_attempt(
        &self,
        email: &str,
        success: bool,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn failed_signins_since(
        &self,
        email: &str,
        since: Timestamp,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.ORG ").map(|e| e.0),
            Ok("ada@example.org".to_owned())
        );
        for bad in [
            "",
            "ada",
            "@x.org",
            "ada@",
            "a b@x.org",
            "ada@x.org.",
            "a@b@c",
        ] {
            assert_eq!(
                Email::parse(bad).err().and_then(|e| e.field()),
                Some("email"),
                "{bad}"
            );
        }
    }

    #[test]
    fn password_policy_is_length() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough pass").is_ok());
        assert_eq!(
            format!("{:?}", NewPassword::parse("long enough pass")),
            "Ok(NewPassword([redacted]))"
        );
    }

    #[test]
    fn slugs() {
        assert!(Slug::parse("northwind").is_ok());
        assert!(Slug::parse("a").is_err());
        assert!(Slug::parse("Bad Slug").is_err());
        assert!(Slug::parse("-x").is_err());
    }

    #[test]
    fn roles_parse_and_access_rules_hold() {
        assert_eq!(
            "community_manager".parse::<Role>(),
            Ok(Role::CommunityManager)
        );
        assert!("owner".parse::<Role>().is_err());
        assert!(!Access::Staff.allows(Role::Member));
        assert!(Access::Member.allows(Role::Member));
        assert!(Access::Marketing.allows(Role::Marketer));
        assert!(!Access::Marketing.allows(Role::CommunityManager));
        assert!(Access::Moderation.allows(Role::Moderator));
        assert!(!Access::Admin.allows(Role::CommunityManager));
        for role in Role::ALL {
            assert!(Access::Admin.allows(role) == (role == Role::Admin));
            assert!(Access::Staff.allows(role) == role.is_staff());
        }
    }
}
