//! Account pages: home, sign-up, sign-in, sign-out, password reset,
//! invitations, joining an open workspace, and personal access tokens.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use agora_core::accounts::{
    AccountError, AccountStore, ApiToken, DisplayName, Email, INVITATION_TTL_MILLIS, Invitation,
    NewPassword, PASSWORD_RESET_TTL_MILLIS, Role, SIGNIN_MAX_FAILURES, SIGNIN_WINDOW_MILLIS,
    Workspace, WorkspaceMembership,
};
use agora_core::email::OutgoingEmail;
use agora_core::jobs::JobStore;
use agora_core::secrets::{hash_password, random_token, token_digest, verify_password};

use super::{FieldErrors, PageError, PageResult, render, render_with_status, safe_next};
use crate::AppState;
use crate::auth::{Ctx, TOKEN_PREFIX, end_session_cookie, flash_cookie, start_session};
use crate::shell::Shell;

pub fn redirect_with_flash(state: &AppState, to: &str, message: &str) -> axum::response::Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        flash_cookie(message, state.settings.secure_cookies),
    );
    response
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    shell: Shell,
    memberships: Vec<WorkspaceMembership>,
    open_workspaces: Vec<Workspace>,
}

pub async fn home(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let Some(account) = &ctx.account else {
        let shell = Shell::build(&state, &ctx, "Agora").await;
        return Ok(render(&HomePage {
            shell,
            memberships: Vec::new(),
            open_workspaces: Vec::new(),
        }));
    };
    let memberships = state.db.memberships_of(account.id).await?;
    if memberships.len() == 1 {
        return Ok(Redirect::to(&format!("/w/{}", memberships[0].workspace.slug)).into_response());
    }
    let open_workspaces = state
        .db
        .list_workspaces()
        .await?
        .into_iter()
        .filter(|workspace| {
            workspace.signup_open && !memberships.iter().any(|m| m.workspace.id == workspace.id)
        })
        .collect();
    let shell = Shell::build(&state, &ctx, "Your workspaces").await;
    Ok(render(&HomePage {
        shell,
        memberships,
        open_workspaces,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
    pub invite: Option<String>,
    pub token: Option<String>,
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage {
    shell: Shell,
    email: String,
    next: String,
    errors: FieldErrors,
}

pub async fn signin_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<NextQuery>,
) -> PageResult {
    let shell = Shell::build(&state, &ctx, "Sign in").await;
    Ok(render(&SigninPage {
        shell,
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        errors: FieldErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn signin(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<SigninForm>,
) -> PageResult {
    let next = safe_next(form.next.as_deref());
    let now = state.clock.now();
    let mut errors = FieldErrors::default();
    let refuse = |errors: FieldErrors, status: StatusCode| {
        let state = state.clone();
        let ctx = ctx.clone();
        let email = form.email.clone();
        let next = next.clone();
        async move {
            let shell = Shell::build(&state, &ctx, "Sign in").await;
            Ok(render_with_status(
                status,
                &SigninPage {
                    shell,
                    email,
                    next,
                    errors,
                },
            ))
        }
    };
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(error) => {
            errors.add("email", error.to_string());
            return refuse(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    if form.password.is_empty() {
        errors.add("password", "enter your password");
        return refuse(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let n_failures = state
        .db
        .failed_signins_since(email.as_str(), now.plus_millis(-SIGNIN_WINDOW_MILLIS))
        .await?;
    if n_failures >= SIGNIN_MAX_FAILURES {
        errors.add("_", AccountError::RateLimited.to_string());
        return refuse(errors, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let credentials = state.db.credentials_by_email(&email).await?;
    let password = form.password.clone();
    // A dummy hash keeps the timing the same whether or not the account exists.
    let stored_hash = credentials
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| dummy_hash(state.settings.password_cost));
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &stored_hash))
        .await
        .unwrap_or(false);
    match credentials {
        Some(credentials) if verified => {
            state
                .db
                .record_signin_attempt(email.as_str(), true, now)
                .await?;
            let cookie = start_session(&state, &credentials.account).await?;
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(response)
        }
        _ => {
            state
                .db
                .record_signin_attempt(email.as_str(), false, now)
                .await?;
            errors.add("_", AccountError::BadCredentials.to_string());
            refuse(errors, StatusCode::UNAUTHORIZED).await
        }
    }
}

/// An argon2id hash of a random string, verified against when the e-mail is
/// unknown, so that timing does not tell which e-mails have accounts.
fn dummy_hash(cost: agora_core::secrets::HashCost) -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_token(16), cost))
        .clone()
}

pub async fn signout(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    if let Some(session) = crate::auth::cookie(&headers, crate::auth::SESSION_COOKIE) {
        state.db.delete_session(&token_digest(&session)).await?;
    }
    let mut response = redirect_with_flash(&state, "/signin", "You are signed out.");
    response.headers_mut().append(
        header::SET_COOKIE,
        end_session_cookie(state.settings.secure_cookies),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    shell: Shell,
    name: String,
    email: String,
    invite: String,
    invitation: Option<Invitation>,
    /// Where to go once the account exists (a join link with its campaign).
    next: String,
    errors: FieldErrors,
}

pub async fn signup_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<NextQuery>,
) -> PageResult {
    let invite = query.invite.unwrap_or_default();
    let invitation = if invite.is_empty() {
        None
    } else {
        state
            .db
            .invitation_by_digest(&token_digest(&invite), state.clock.now())
            .await?
    };
    let shell = Shell::build(&state, &ctx, "Create your account").await;
    let email = invitation
        .as_ref()
        .map(|i| i.email.clone())
        .unwrap_or_default();
    Ok(render(&SignupPage {
        shell,
        name: String::new(),
        email,
        invite,
        invitation,
        next: safe_next(query.next.as_deref()),
        errors: FieldErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    invite: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn signup(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<SignupForm>,
) -> PageResult {
    let now = state.clock.now();
    let mut errors = FieldErrors::default();
    let name = DisplayName::parse(&form.name)
        .map_err(|error| errors.add("name", error.to_string()))
        .ok();
    let email = Email::parse(&form.email)
        .map_err(|error| errors.add("email", error.to_string()))
        .ok();
    let password = NewPassword::parse(&form.password)
        .map_err(|error| errors.add("password", error.to_string()))
        .ok();
    let invitation = if form.invite.is_empty() {
        None
    } else {
        state
            .db
            .invitation_by_digest(&token_digest(&form.invite), now)
            .await?
    };
    if !form.invite.is_empty() && invitation.is_none() {
        errors.add("_", AccountError::ExpiredToken.to_string());
    }
    let created = match (name, email, password, errors.is_empty()) {
        (Some(name), Some(email), Some(password), true) => {
            let cost = state.settings.password_cost;
            let hash = tokio::task::spawn_blocking(move || hash_password(password.expose(), cost))
                .await
                .unwrap_or_default();
            match state.db.create_account(&email, &name, &hash, now).await {
                Ok(account) => Some(account),
                Err(agora_core::StoreError::Conflict(_)) => {
                    errors.add("email", AccountError::EmailTaken.to_string());
                    None
                }
                Err(other) => return Err(other.into()),
            }
        }
        _ => None,
    };
    let Some(account) = created else {
        let shell = Shell::build(&state, &ctx, "Create your account").await;
        let page = SignupPage {
            shell,
            name: form.name,
            email: form.email,
            invite: form.invite,
            invitation,
            next: safe_next(form.next.as_deref()),
            errors,
        };
        return Ok(render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    let destination = match state
        .db
        .accept_invitation(&token_digest(&form.invite), account.id, now)
        .await?
    {
        Some(invitation) if !form.invite.is_empty() => format!("/w/{}", invitation.workspace_slug),
        // Back to the page that asked for an account: a campaign's join link
        // keeps its utm_campaign this way, so the new member is attributed.
        _ => safe_next(form.next.as_deref()),
    };
    let cookie = start_session(&state, &account).await?;
    let mut response = redirect_with_flash(
        &state,
        &destination,
        &format!("Welcome to Agora, {}.", account.name),
    );
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    shell: Shell,
    email: String,
    sent: bool,
    errors: FieldErrors,
}

pub async fn forgot_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let shell = Shell::build(&state, &ctx, "Reset your password").await;
    Ok(render(&ForgotPage {
        shell,
        email: String::new(),
        sent: false,
        errors: FieldErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<ForgotForm>,
) -> PageResult {
    let shell = Shell::build(&state, &ctx, "Reset your password").await;
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(error) => {
            let mut errors = FieldErrors::default();
            errors.add("email", error.to_string());
            return Ok(render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ForgotPage {
                    shell,
                    email: form.email,
                    sent: false,
                    errors,
                },
            ));
        }
    };
    // The answer is the same whether or not the account exists.
    if let Some(credentials) = state.db.credentials_by_email(&email).await? {
        let now = state.clock.now();
        let token = random_token(32);
        let digest = token_digest(&token);
        state
            .db
            .create_password_reset(
                &digest,
                credentials.account.id,
                now,
                now.plus_millis(PASSWORD_RESET_TTL_MILLIS),
            )
            .await?;
        let link = format!("{}/reset?token={token}", state.settings.public_url);
        let email = OutgoingEmail {
            to: credentials.account.email.clone(),
            subject: "Reset your Agora password".into(),
            text: format!(
                "Hello {},\n\nSomeone (hopefully you) asked to reset the password of your Agora account.\n\
                 Open this link within an hour to choose a new one:\n\n{link}\n\n\
                 If you did not ask, ignore this e-mail; your password stays the same.\n",
                credentials.account.name
            ),
            html: None,
            message_key: format!(
                "password-reset.{}.{}",
                credentials.account.id,
                &digest[..16]
            ),
            unsubscribe_url: None,
        };
        state.db.enqueue(&email.into_job(now), now).await?;
    }
    Ok(render(&ForgotPage {
        shell,
        email: email.as_str().to_owned(),
        sent: true,
        errors: FieldErrors::default(),
    }))
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    shell: Shell,
    token: String,
    errors: FieldErrors,
}

pub async fn reset_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<NextQuery>,
) -> PageResult {
    let shell = Shell::build(&state, &ctx, "Choose a new password").await;
    Ok(render(&ResetPage {
        shell,
        token: query.token.unwrap_or_default(),
        errors: FieldErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

pub async fn reset(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<ResetForm>,
) -> PageResult {
    let mut errors = FieldErrors::default();
    let password = match NewPassword::parse(&form.password) {
        Ok(password) => Some(password),
        Err(error) => {
            errors.add("password", error.to_string());
            None
        }
    };
    let account_id = match password {
        Some(_) => {
            state
                .db
                .consume_password_reset(&token_digest(&form.token), state.clock.now())
                .await?
        }
        None => None,
    };
    let (Some(password), Some(account_id)) = (password, account_id) else {
        if errors.is_empty() {
            errors.add("_", AccountError::ExpiredToken.to_string());
        }
        let shell = Shell::build(&state, &ctx, "Choose a new password").await;
        return Ok(render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ResetPage {
                shell,
                token: form.token,
                errors,
            },
        ));
    };
    let cost = state.settings.password_cost;
    let hash = tokio::task::spawn_blocking(move || hash_password(password.expose(), cost))
        .await
        .unwrap_or_default();
    state.db.set_password_hash(account_id, &hash).await?;
    // A new password ends every existing session.
    state.db.delete_sessions_of(account_id).await?;
    Ok(redirect_with_flash(
        &state,
        "/signin",
        "Your password is changed. Sign in with the new one.",
    ))
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    shell: Shell,
    token: String,
    invitation: Option<Invitation>,
}

pub async fn invite_show(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(token): Path<String>,
) -> PageResult {
    let invitation = state
        .db
        .invitation_by_digest(&token_digest(&token), state.clock.now())
        .await?;
    let shell = Shell::build(&state, &ctx, "Invitation").await;
    let status = if invitation.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok(render_with_status(
        status,
        &InvitePage {
            shell,
            token,
            invitation,
        },
    ))
}

pub async fn invite_accept(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(token): Path<String>,
) -> PageResult {
    let account = ctx.account()?;
    match state
        .db
        .accept_invitation(&token_digest(&token), account.id, state.clock.now())
        .await?
    {
        Some(invitation) => Ok(redirect_with_flash(
            &state,
            &format!("/w/{}", invitation.workspace_slug),
            &format!(
                "You joined {} as {}.",
                invitation.workspace_name,
                invitation.role.label()
            ),
        )),
        None => Err(PageError::not_found(AccountError::ExpiredToken.to_string())),
    }
}

#[derive(Debug, Deserialize)]
pub struct WorkspacePath {
    pub workspace: String,
}

/// The join link a campaign's posts can carry: `?utm_campaign=` names the
/// campaign the member came through, kept in the form.
#[derive(Debug, Default, Deserialize)]
pub struct JoinParams {
    #[serde(default)]
    pub utm_campaign: Option<String>,
}

#[derive(Template)]
#[template(path = "workspace_join.html")]
struct WorkspaceJoinPage {
    shell: Shell,
    workspace: Workspace,
    already_member: bool,
    utm_campaign: String,
}

/// The join page of an open workspace.
pub async fn join_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<WorkspacePath>,
    Query(params): Query<JoinParams>,
) -> PageResult {
    let account = ctx.account()?;
    let workspace = state
        .db
        .workspace_by_slug(&path.workspace)
        .await?
        .ok_or_else(|| PageError::not_found("There is no such workspace."))?;
    let already_member = state.db.role_in(account.id, workspace.id).await?.is_some();
    if !already_member && !workspace.signup_open {
        return Err(PageError {
            status: StatusCode::FORBIDDEN,
            message: AccountError::InviteOnly.to_string(),
        });
    }
    let shell = Shell::build(&state, &ctx, &format!("Join {}", workspace.name)).await;
    Ok(render(&WorkspaceJoinPage {
        shell,
        workspace,
        already_member,
        utm_campaign: params.utm_campaign.unwrap_or_default(),
    }))
}

pub async fn join_workspace(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<WorkspacePath>,
    form: Result<Form<JoinParams>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    // A bare POST (no form, as the API-minded send it) joins without a campaign.
    let form = form.map(|Form(form)| form).unwrap_or_default();
    let account = ctx.account()?;
    let workspace = state
        .db
        .workspace_by_slug(&path.workspace)
        .await?
        .ok_or_else(|| PageError::not_found("There is no such workspace."))?;
    if state.db.role_in(account.id, workspace.id).await?.is_none() {
        if !workspace.signup_open {
            return Err(PageError {
                status: StatusCode::FORBIDDEN,
                message: AccountError::InviteOnly.to_string(),
            });
        }
        state
            .db
            .upsert_membership(account.id, workspace.id, Role::Member, state.clock.now())
            .await?;
        if let Some(member) =
            agora_core::members::MemberStore::member_of_account(&state.db, workspace.id, account.id)
                .await?
        {
            crate::analytics::attribute(&state, workspace.id, member, form.utm_campaign.as_deref())
                .await?;
            crate::moderation::new_member(&state, workspace.id, member, &account.name).await?;
        }
    }
    Ok(redirect_with_flash(
        &state,
        &format!("/w/{}/community", workspace.slug),
        &format!("Welcome to {}.", workspace.name),
    ))
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    shell: Shell,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
    errors: FieldErrors,
}

pub async fn tokens_page(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
) -> PageResult {
    let account = ctx.account()?;
    let tokens = state.db.list_api_tokens(account.id).await?;
    let shell = Shell::build(&state, &ctx, "Personal access tokens").await;
    Ok(render(&TokensPage {
        shell,
        tokens,
        new_token: None,
        errors: FieldErrors::default(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

/// Creates a personal access token; the secret is shown on this response only.
pub async fn create_token(
    state: &AppState,
    account_id: i64,
    name: &str,
) -> Result<(ApiToken, String), agora_core::StoreError> {
    let secret = format!("{TOKEN_PREFIX}{}", random_token(32));
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let token = state
        .db
        .create_api_token(
            account_id,
            name,
            &token_digest(&secret),
            &prefix,
            state.clock.now(),
        )
        .await?;
    Ok((token, secret))
}

pub async fn token_create(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let account = ctx.account()?;
    let mut errors = FieldErrors::default();
    let name = form.name.trim();
    let new_token = if name.is_empty() || name.chars().count() > 80 {
        errors.add(
            "name",
            "give the token a name of 1 to 80 characters, e.g. the script that uses it",
        );
        None
    } else {
        Some(create_token(&state, account.id, name).await?.1)
    };
    let tokens = state.db.list_api_tokens(account.id).await?;
    let shell = Shell::build(&state, &ctx, "Personal access tokens").await;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_with_status(
        status,
        &TokensPage {
            shell,
            tokens,
            new_token,
            errors,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct TokenPath {
    pub id: i64,
}

pub async fn token_revoke(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Path(path): Path<TokenPath>,
) -> PageResult {
    let account = ctx.account()?;
    let revoked = state
        .db
        .revoke_api_token(account.id, path.id, state.clock.now())
        .await?;
    let message = if revoked {
        "Token revoked."
    } else {
        "That token was already revoked."
    };
    Ok(redirect_with_flash(&state, "/account/tokens", message))
}

/// How long invitation links stay valid, for the settings page text.
pub const INVITATION_DAYS: i64 = INVITATION_TTL_MILLIS / 86_400_000;

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    shell: Shell,
    token: String,
    done: Option<String>,
}

pub async fn unsubscribe_form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<NextQuery>,
) -> PageResult {
    let shell = Shell::build(&state, &ctx, "Unsubscribe").await;
    Ok(render(&UnsubscribePage {
        shell,
        token: query.token.unwrap_or_default(),
        done: None,
    }))
}

/// Turns activity e-mails off. The token in the link authenticates, so this
/// also accepts RFC 8058 one-click POSTs from mail clients (no CSRF token).
pub async fn unsubscribe(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    Query(query): Query<NextQuery>,
) -> PageResult {
    use agora_core::members::MemberStore;
    let token = query.token.unwrap_or_default();
    let Some(name) = state.db.unsubscribe(&token).await? else {
        return Err(PageError::not_found("This unsubscribe link is not valid."));
    };
    let shell = Shell::build(&state, &ctx, "Unsubscribed").await;
    Ok(render(&UnsubscribePage {
        shell,
        token,
        done: Some(name),
    }))
}
