//! Accounts, workspaces, memberships, sessions, API tokens, password resets
//! and invitations in SQL.

use agora_core::accounts::{
    Account, AccountCredentials, AccountId, AccountMembership, AccountStore, ApiToken, DisplayName,
    Email, Invitation, NewInvitation, Role, Slug, Workspace, WorkspaceId, WorkspaceMembership,
};
use agora_core::{StoreError, Timestamp};
use sqlx::any::AnyRow;

use crate::{Db, flag, get, store_error};

fn account_from(row: &AnyRow) -> Result<Account, StoreError> {
    Ok(Account {
        id: get(row, "id")?,
        email: get(row, "email")?,
        name: get(row, "name")?,
        created_at: Timestamp(get(row, "created_at")?),
    })
}

fn workspace_from(row: &AnyRow) -> Result<Workspace, StoreError> {
    Ok(Workspace {
        id: get(row, "id")?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        signup_open: get::<i64>(row, "signup_open")? != 0,
        created_at: Timestamp(get(row, "created_at")?),
    })
}

fn role_from(row: &AnyRow) -> Result<Role, StoreError> {
    let raw: String = get(row, "role")?;
    raw.parse()
        .map_err(|_| StoreError::Backend(format!("unknown role {raw:?} in database")))
}

fn token_from(row: &AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: get(row, "id")?,
        name: get(row, "name")?,
        prefix: get(row, "prefix")?,
        created_at: Timestamp(get(row, "created_at")?),
        last_used_at: get::<Option<i64>>(row, "last_used_at")?.map(Timestamp),
        revoked_at: get::<Option<i64>>(row, "revoked_at")?.map(Timestamp),
    })
}

fn invitation_from(row: &AnyRow) -> Result<Invitation, StoreError> {
    Ok(Invitation {
        id: get(row, "id")?,
        workspace_id: get(row, "workspace_id")?,
        workspace_slug: get(row, "workspace_slug")?,
        workspace_name: get(row, "workspace_name")?,
        email: get(row, "email")?,
        role: role_from(row)?,
        created_at: Timestamp(get(row, "created_at")?),
        expires_at: Timestamp(get(row, "expires_at")?),
        accepted_at: get::<Option<i64>>(row, "accepted_at")?.map(Timestamp),
    })
}

const INVITATION_COLUMNS: &str = "i.id, i.workspace_id, w.slug AS workspace_slug, w.name AS workspace_name, i.email, i.role, \
     i.created_at, i.expires_at, i.accepted_at";

impl AccountStore for Db {
    async fn create_account(
        &self,
        email: &Email,
        name: &DisplayName,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Account, StoreError> {
        let row = sqlx::query(
            "INSERT INTO accounts (email, name, password_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, email, name, created_at",
        )
        .bind(email.as_str())
        .bind(name.as_str())
        .bind(password_hash)
        .bind(now.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        account_from(&row)
    }

    async fn account_by_id(&self, id: AccountId) -> Result<Account, StoreError> {
        let row = sqlx::query("SELECT id, email, name, created_at FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        account_from(&row)
    }

    async fn credentials_by_email(
        &self,
        email: &Email,
    ) -> Result<Option<AccountCredentials>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, name, created_at, password_hash FROM accounts WHERE email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.map(|row| {
            Ok(AccountCredentials {
                account: account_from(&row)?,
                password_hash: get(&row, "password_hash")?,
            })
        })
        .transpose()
    }

    async fn set_password_hash(
        &self,
        id: AccountId,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn create_workspace(
        &self,
        slug: &Slug,
        name: &str,
        signup_open: bool,
        now: Timestamp,
    ) -> Result<Workspace, StoreError> {
        let row = sqlx::query(
            "INSERT INTO workspaces (slug, name, signup_open, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, slug, name, signup_open, created_at",
        )
        .bind(slug.as_str())
        .bind(name)
        .bind(flag(signup_open))
        .bind(now.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        workspace_from(&row)
    }

    async fn workspace_by_slug(&self, slug: &str) -> Result<Option<Workspace>, StoreError> {
        let row = sqlx::query(
            "SELECT id, slug, name, signup_open, created_at FROM workspaces WHERE slug = $1",
        )
        .bind(slug)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(workspace_from).transpose()
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, slug, name, signup_open, created_at FROM workspaces ORDER BY name",
        )
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(workspace_from).collect()
    }

    async fn set_signup_open(&self, workspace: WorkspaceId, open: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE workspaces SET signup_open = $1 WHERE id = $2")
            .bind(flag(open))
            .bind(workspace)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn upsert_membership(
        &self,
        account: AccountId,
        workspace: WorkspaceId,
        role: Role,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut transaction = self.pool().begin().await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO memberships (account_id, workspace_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, workspace_id) DO UPDATE SET role = excluded.role",
        )
        .bind(account)
        .bind(workspace)
        .bind(role.as_str())
        .bind(now.millis())
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        sqlx::query(
            "INSERT INTO members (workspace_id, account_id, name, email, joined_at, is_staff) \
             SELECT $1, id, name, email, $2, $3 FROM accounts WHERE id = $4 \
             ON CONFLICT (workspace_id, account_id) DO UPDATE SET is_staff = excluded.is_staff",
        )
        .bind(workspace)
        .bind(now.millis())
        .bind(flag(role.is_staff()))
        .bind(account)
        .execute(&mut *transaction)
        .await
        .map_err(store_error)?;
        transaction.commit().await.map_err(store_error)?;
        let row = sqlx::query("SELECT m.id, m.name FROM members m WHERE m.workspace_id = $1 AND m.account_id = $2 AND m.handle IS NULL")
            .bind(workspace)
            .bind(account)
            .fetch_optional(self.pool())
            .await
            .map_err(store_error)?;
        if let Some(row) = row {
            self.assign_handle(workspace, get(&row, "id")?, &get::<String>(&row, "name")?)
                .await?;
        }
        Ok(())
    }

    async fn role_in(
        &self,
        account: AccountId,
        workspace: WorkspaceId,
    ) -> Result<Option<Role>, StoreError> {
        let row =
            sqlx::query("SELECT role FROM memberships WHERE account_id = $1 AND workspace_id = $2")
                .bind(account)
                .bind(workspace)
                .fetch_optional(self.pool())
                .await
                .map_err(store_error)?;
        row.as_ref().map(role_from).transpose()
    }

    async fn memberships_of(
        &self,
        account: AccountId,
    ) -> Result<Vec<WorkspaceMembership>, StoreError> {
        let rows = sqlx::query(
            "SELECT w.id, w.slug, w.name, w.signup_open, w.created_at, m.role FROM memberships m \
             JOIN workspaces w ON w.id = m.workspace_id WHERE m.account_id = $1 ORDER BY w.name",
        )
        .bind(account)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(WorkspaceMembership {
                    workspace: workspace_from(row)?,
                    role: role_from(row)?,
                })
            })
            .collect()
    }

    async fn memberships_in(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<AccountMembership>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.email, a.name, a.created_at, m.role FROM memberships m \
             JOIN accounts a ON a.id = m.account_id WHERE m.workspace_id = $1 ORDER BY a.name",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(AccountMembership {
                    account: account_from(row)?,
                    role: role_from(row)?,
                })
            })
            .collect()
    }

    async fn create_session(
        &self,
        digest: &str,
        account: AccountId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (digest, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(digest)
            .bind(account)
            .bind(now.millis())
            .bind(expires_at.millis())
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn session_account(
        &self,
        digest: &str,
        now: Timestamp,
    ) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(
            "SELECT a.id, a.email, a.name, a.created_at FROM sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.digest = $1 AND s.expires_at > $2",
        )
        .bind(digest)
        .bind(now.millis())
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(account_from).transpose()
    }

    async fn delete_session(&self, digest: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE digest = $1")
            .bind(digest)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn delete_sessions_of(&self, account: AccountId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn create_api_token(
        &self,
        account: AccountId,
        name: &str,
        digest: &str,
        prefix: &str,
        now: Timestamp,
    ) -> Result<ApiToken, StoreError> {
        let row = sqlx::query(
            "INSERT INTO api_tokens (account_id, name, digest, prefix, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, name, prefix, created_at, last_used_at, revoked_at",
        )
        .bind(account)
        .bind(name)
        .bind(digest)
        .bind(prefix)
        .bind(now.millis())
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        token_from(&row)
    }

    async fn api_token_account(
        &self,
        digest: &str,
        now: Timestamp,
    ) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE digest = $2 AND revoked_at IS NULL RETURNING account_id",
        )
        .bind(now.millis())
        .bind(digest)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        match row {
            Some(row) => Ok(Some(self.account_by_id(get(&row, "account_id")?).await?)),
            None => Ok(None),
        }
    }

    async fn list_api_tokens(&self, account: AccountId) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens WHERE account_id = $1 ORDER BY id DESC",
        )
        .bind(account)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(token_from).collect()
    }

    async fn revoke_api_token(
        &self,
        account: AccountId,
        token: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL")
            .bind(now.millis())
            .bind(token)
            .bind(account)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn create_password_reset(
        &self,
        digest: &str,
        account: AccountId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO password_resets (digest, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(digest)
            .bind(account)
            .bind(now.millis())
            .bind(expires_at.millis())
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn consume_password_reset(
        &self,
        digest: &str,
        now: Timestamp,
    ) -> Result<Option<AccountId>, StoreError> {
        let row = sqlx::query(
            "UPDATE password_resets SET used_at = $1 WHERE digest = $2 AND used_at IS NULL AND expires_at > $1 RETURNING account_id",
        )
        .bind(now.millis())
        .bind(digest)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.map(|row| get(&row, "account_id")).transpose()
    }

    async fn create_invitation(
        &self,
        invitation: &NewInvitation<'_>,
    ) -> Result<Invitation, StoreError> {
        sqlx::query(
            "INSERT INTO invitations (workspace_id, email, role, digest, invited_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(invitation.workspace_id)
        .bind(invitation.email.as_str())
        .bind(invitation.role.as_str())
        .bind(invitation.digest)
        .bind(invitation.invited_by)
        .bind(invitation.created_at.millis())
        .bind(invitation.expires_at.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations i JOIN workspaces w ON w.id = i.workspace_id WHERE i.digest = $1"
        )))
        .bind(invitation.digest)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        invitation_from(&row)
    }

    async fn invitation_by_digest(
        &self,
        digest: &str,
        now: Timestamp,
    ) -> Result<Option<Invitation>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations i JOIN workspaces w ON w.id = i.workspace_id \
             WHERE i.digest = $1 AND i.accepted_at IS NULL AND i.expires_at > $2"
        )))
        .bind(digest)
        .bind(now.millis())
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(invitation_from).transpose()
    }

    async fn accept_invitation(
        &self,
        digest: &str,
        account: AccountId,
        now: Timestamp,
    ) -> Result<Option<Invitation>, StoreError> {
        let Some(invitation) = self.invitation_by_digest(digest, now).await? else {
            return Ok(None);
        };
        let claimed = sqlx::query("UPDATE invitations SET accepted_at = $1, accepted_by = $2 WHERE id = $3 AND accepted_at IS NULL")
            .bind(now.millis())
            .bind(account)
            .bind(invitation.id)
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        if claimed.rows_affected() != 1 {
            return Ok(None);
        }
        self.upsert_membership(account, invitation.workspace_id, invitation.role, now)
            .await?;
        Ok(Some(Invitation {
            accepted_at: Some(now),
            ..invitation
        }))
    }

    async fn list_invitations(
        &self,
        workspace: WorkspaceId,
    ) -> Result<Vec<Invitation>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations i JOIN workspaces w ON w.id = i.workspace_id \
             WHERE i.workspace_id = $1 ORDER BY i.id DESC"
        )))
        .bind(workspace)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(invitation_from).collect()
    }

    async fn record_signin_attempt(
        &self,
        email: &str,
        success: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO signin_attempts (email, success, at) VALUES ($1, $2, $3)")
            .bind(email)
            .bind(flag(success))
            .bind(now.millis())
            .execute(self.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn failed_signins_since(&self, email: &str, since: Timestamp) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM signin_attempts WHERE email = $1 AND success = 0 AND at > $2 \
             AND at > COALESCE((SELECT MAX(at) FROM signin_attempts WHERE email = $1 AND success = 1), 0)")
            .bind(email)
            .bind(since.millis())
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        get(&row, "n")
    }
}
