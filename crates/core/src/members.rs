//! Members: the people a workspace knows, one profile each, staff or not.
//!
//! A member may have an account (native sign-in) or not (known only through
//! an external identity or the demo). Identities and merging come with the
//! member-graph issue; this module holds the profile every feature points at.

use std::future::Future;

use serde::Serialize;

use crate::accounts::{AccountId, WorkspaceId};
use crate::clock::Timestamp;
use crate::error::StoreError;
use crate::pagination::{Cursor, Page};

pub type MemberId = i64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewMember {
    pub workspace_id: WorkspaceId,
    pub account_id: Option<AccountId>,
    pub name: String,
    pub email: Option<String>,
    pub joined_at: Timestamp,
    pub is_staff: bool,
}

/// A member as listed to staff, with their activity count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberSummary {
    pub id: MemberId,
    pub name: String,
    pub is_staff: bool,
    pub joined_at: Timestamp,
    pub n_interactions: i64,
    pub last_active_at: Option<Timestamp>,
}

/// Where and whether to e-mail a member about activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailTarget {
    pub email: String,
    pub name: String,
    /// Mention and reply e-mails are on unless the member unsubscribed.
    pub enabled: bool,
    /// The secret in the member's unsubscribe link.
    pub unsubscribe_token: String,
}

pub trait MemberStore: Send + Sync {
    /// The member's e-mail settings, when the member has an e-mail address.
    fn email_target(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<Option<EmailTarget>, StoreError>> + Send;
    /// Turns activity e-mails off for the member holding this token; answers their name.
    fn unsubscribe(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    fn create_member(
        &self,
        member: &NewMember,
    ) -> impl Future<Output = Result<MemberId, StoreError>> + Send;
    fn member_of_account(
        &self,
        workspace: WorkspaceId,
        account: AccountId,
    ) -> impl Future<Output = Result<Option<MemberId>, StoreError>> + Send;
    /// Members by descending id, `limit` per page.
    fn list_members(
        &self,
        workspace: WorkspaceId,
        after: Option<Cursor>,
        limit: i64,
    ) -> impl Future<Output = Result<Page<MemberSummary>, StoreError>> + Send;
    fn member_is_staff(
        &self,
        member: MemberId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    fn count_members(
        &self,
        workspace: WorkspaceId,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
}
