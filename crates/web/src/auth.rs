//! Who is calling, and may they: session cookies, bearer tokens, CSRF, and the
//! one middleware that enforces every route's declared [`Access`] level.
//!
//! Sessions are random tokens in an HttpOnly, SameSite=Lax cookie (Secure
//! behind HTTPS); the database stores only their SHA-256. Forms carry a CSRF
//! token that must equal the `agora_csrf` cookie (double submit; the cookie is
//! HttpOnly and SameSite=Strict, so another site can neither read nor send it).
//! API calls with a bearer token need no CSRF token.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use agora_core::accounts::{Access, Account, AccountStore, Role, Workspace};
use agora_core::secrets::{random_token, token_digest};
use agora_core::{StoreError, Timestamp};

use crate::AppState;
use crate::pages::error_page;
use crate::problem::Problem;
use crate::routes;

pub const SESSION_COOKIE: &str = "agora_session";
pub const CSRF_COOKIE: &str = "agora_csrf";
pub const FLASH_COOKIE: &str = "agora_flash";
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Routes whose unsafe requests carry their own secret in the URL (one-click
/// unsubscribe from a mail client cannot send a CSRF token).
const CSRF_EXEMPT: &[&str] = &["/unsubscribe"];

/// Personal access tokens start with this, so scanners and people recognise them.
pub const TOKEN_PREFIX: &str = "agp_";

/// The caller as the authorize middleware resolved it, for handlers.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub account: Option<Account>,
    /// Set for workspace-scoped routes (the `{workspace}` path segment).
    pub workspace: Option<Workspace>,
    pub role: Option<Role>,
    pub csrf_token: String,
    pub flash: Option<String>,
    /// The request came with a bearer token rather than a session cookie.
    pub via_token: bool,
    /// The path requested, for `next=` redirects and active navigation.
    pub path: String,
}

impl Ctx {
    /// The signed-in account. Routes above `Access::Public` always have one.
    pub fn account(&self) -> Result<&Account, Problem> {
        self.account.as_ref().ok_or_else(Problem::unauthenticated)
    }

    /// The workspace and role of a workspace-scoped route.
    pub fn workspace(&self) -> Result<(&Workspace, Role), Problem> {
        match (&self.workspace, self.role) {
            (Some(workspace), Some(role)) => Ok((workspace, role)),
            _ => Err(Problem::not_found("no workspace in this route")),
        }
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value with Agora's attributes.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_seconds: i64,
    same_site: &str,
    secure: bool,
) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age_seconds}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// A flash message shown once on the next page.
pub fn flash_cookie(message: &str, secure: bool) -> HeaderValue {
    set_cookie(
        FLASH_COOKIE,
        &urlencoding::encode(message),
        60,
        "Lax",
        secure,
    )
}

/// Starts a session for `account` and answers its `Set-Cookie`.
pub async fn start_session(state: &AppState, account: &Account) -> Result<HeaderValue, StoreError> {
    let token = random_token(32);
    let now = state.clock.now();
    let max_age_seconds = state.settings.session_days * 86_400;
    state
        .db
        .create_session(
            &token_digest(&token),
            account.id,
            now,
            now.plus_seconds(max_age_seconds),
        )
        .await?;
    Ok(set_cookie(
        SESSION_COOKIE,
        &token,
        max_age_seconds,
        "Lax",
        state.settings.secure_cookies,
    ))
}

pub fn end_session_cookie(secure: bool) -> HeaderValue {
    set_cookie(SESSION_COOKIE, "", 0, "Lax", secure)
}

/// Route table lookups: (method, route path) to access level.
fn access_table() -> &'static HashMap<(Method, &'static str), Access> {
    static TABLE: OnceLock<HashMap<(Method, &'static str), Access>> = OnceLock::new();
    TABLE.get_or_init(|| {
        routes::specs()
            .into_iter()
            .map(|spec| ((spec.method.clone(), spec.path), spec.access))
            .collect()
    })
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

enum Denial {
    SignIn,
    Forbidden(String),
    NotFound(String),
    Csrf,
    Internal,
}

fn deny(denial: Denial, is_api: bool, path: &str) -> Response {
    match (denial, is_api) {
        (Denial::SignIn, true) => Problem::unauthenticated().into_response(),
        (Denial::SignIn, false) => {
            Redirect::to(&format!("/signin?next={}", urlencoding::encode(path))).into_response()
        }
        (Denial::Forbidden(detail), true) => Problem::forbidden(detail).into_response(),
        (Denial::Forbidden(detail), false) => error_page(StatusCode::FORBIDDEN, &detail),
        (Denial::NotFound(detail), true) => Problem::not_found(detail).into_response(),
        (Denial::NotFound(detail), false) => error_page(StatusCode::NOT_FOUND, &detail),
        (Denial::Csrf, true) => Problem::forbidden(
            "missing or wrong CSRF token (send X-CSRF-Token, or use a bearer token)",
        )
        .into_response(),
        (Denial::Csrf, false) => error_page(
            StatusCode::FORBIDDEN,
            "This form expired or came from another site. Go back, reload the page and try again.",
        ),
        (Denial::Internal, true) => Problem::internal().into_response(),
        (Denial::Internal, false) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Try again.",
        ),
    }
}

async fn resolve_account(
    state: &AppState,
    headers: &HeaderMap,
    now: Timestamp,
) -> Result<(Option<Account>, bool), StoreError> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        let account = state
            .db
            .api_token_account(&token_digest(bearer.trim()), now)
            .await?;
        return Ok((account, true));
    }
    match cookie(headers, SESSION_COOKIE) {
        Some(session) if !session.is_empty() => Ok((
            state
                .db
                .session_account(&token_digest(&session), now)
                .await?,
            false,
        )),
        _ => Ok((None, false)),
    }
}

/// Resolves the caller, checks the route's access level and CSRF, and hands
/// handlers a [`Ctx`]. Runs on every routed request, and labels every
/// response with its route template for the metrics.
pub async fn authorize(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    let route = matched
        .as_ref()
        .map(MatchedPath::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut response = check_and_run(state, route.clone(), params, request, next).await;
    response
        .extensions_mut()
        .insert(crate::metrics::RouteLabel(route));
    response
}

async fn check_and_run(
    state: AppState,
    route: String,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    // Signing in comes back to the page with its query (a join link's utm_campaign).
    let return_to = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |target| target.as_str().to_owned());
    let is_api = path.starts_with("/api/");
    let Some(access) = access_table()
        .iter()
        .find(|((m, p), _)| *m == method && *p == route)
        .map(|(_, access)| *access)
    else {
        return deny(Denial::NotFound("no such page".into()), is_api, &path);
    };
    let now = state.clock.now();
    let headers = request.headers().clone();
    let (account, via_token) = match resolve_account(&state, &headers, now).await {
        Ok(resolved) => resolved,
        Err(error) => {
            tracing::error!(%error, "could not resolve the caller");
            return deny(Denial::Internal, is_api, &path);
        }
    };
    if via_token && account.is_none() {
        return Problem::new(
            StatusCode::UNAUTHORIZED,
            "bad-token",
            "This token is unknown or revoked",
        )
        .into_response();
    }

    let (csrf_token, new_csrf_cookie) =
        match cookie(&headers, CSRF_COOKIE).filter(|token| token.len() >= 32) {
            Some(token) => (token, false),
            None => (random_token(32), true),
        };

    if access != Access::Public && account.is_none() {
        return deny(Denial::SignIn, is_api, &return_to);
    }

    // Unsafe methods need the CSRF token unless a bearer token authenticates them.
    let mut request = request;
    if is_unsafe(&method) && !via_token && !CSRF_EXEMPT.contains(&route.as_str()) {
        let header_token = headers
            .get(CSRF_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let multipart = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("multipart/form-data"));
        // Uploads (the media library) may be larger than forms.
        let limit = if multipart {
            agora_core::desk::LIBRARY_MAX_BYTES + 1024 * 1024
        } else {
            4 * 1024 * 1024
        };
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
            return deny(Denial::Csrf, is_api, &path);
        };
        let form_token = if multipart {
            multipart_value(&bytes, CSRF_FIELD)
        } else {
            form_urlencoded_value(&bytes, CSRF_FIELD)
        };
        let sent = header_token.or(form_token).unwrap_or_default();
        if new_csrf_cookie || !constant_time_eq(&sent, &csrf_token) {
            return deny(Denial::Csrf, is_api, &path);
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }

    let mut ctx = Ctx {
        account: account.clone(),
        workspace: None,
        role: None,
        csrf_token: csrf_token.clone(),
        flash: cookie(&headers, FLASH_COOKIE)
            .and_then(|raw| urlencoding::decode(&raw).ok().map(|text| text.into_owned()))
            .filter(|text| !text.is_empty()),
        via_token,
        path: path.clone(),
    };

    if access != Access::Public {
        let Some(account) = &account else {
            return deny(Denial::SignIn, is_api, &path);
        };
        if access.is_workspace_scoped() {
            let slug = params.ok().and_then(|params| {
                params
                    .iter()
                    .find(|(name, _)| *name == "workspace")
                    .map(|(_, value)| value.to_owned())
            });
            let Some(slug) = slug else {
                return deny(
                    Denial::NotFound("no workspace in this route".into()),
                    is_api,
                    &path,
                );
            };
            let workspace = match state.db.workspace_by_slug(&slug).await {
                Ok(Some(workspace)) => workspace,
                Ok(None) => {
                    return deny(
                        Denial::NotFound(format!("there is no workspace `{slug}`")),
                        is_api,
                        &path,
                    );
                }
                Err(error) => {
                    tracing::error!(%error, "could not load the workspace");
                    return deny(Denial::Internal, is_api, &path);
                }
            };
            let role = match state.db.role_in(account.id, workspace.id).await {
                Ok(Some(role)) => role,
                Ok(None) => {
                    return deny(
                        Denial::Forbidden(format!("you are not a member of {}", workspace.name)),
                        is_api,
                        &path,
                    );
                }
                Err(error) => {
                    tracing::error!(%error, "could not load the role");
                    return deny(Denial::Internal, is_api, &path);
                }
            };
            if !access.allows(role)
                && !moderates_a_group(&state, access, workspace.id, account.id).await
            {
                return deny(
                    Denial::Forbidden(format!(
                        "this is for {} roles; your role in {} is {}",
                        access.as_str(),
                        workspace.name,
                        role.label()
                    )),
                    is_api,
                    &path,
                );
            }
            ctx.workspace = Some(workspace);
            ctx.role = Some(role);
        }
    }

    let had_flash = ctx.flash.is_some();
    request.extensions_mut().insert(Arc::new(ctx));
    let mut response = next.run(request).await;
    let secure = state.settings.secure_cookies;
    if new_csrf_cookie {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &csrf_token, 365 * 86_400, "Strict", secure),
        );
    }
    let sets_flash = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|value| {
            value
                .to_str()
                .is_ok_and(|value| value.starts_with(&format!("{FLASH_COOKIE}=")))
        });
    if had_flash && !sets_flash {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(FLASH_COOKIE, "", 0, "Lax", secure),
        );
    }
    response
}

/// A small text part of a multipart body (the CSRF token sent first).
fn multipart_value(bytes: &[u8], name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = bytes
        .windows(marker.len())
        .position(|window| window == marker.as_bytes())?;
    let rest = &bytes[at + marker.len()..];
    let start = rest.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let rest = &rest[start..];
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    std::str::from_utf8(&rest[..end]).ok().map(str::to_owned)
}

fn form_urlencoded_value(bytes: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| {
            urlencoding::decode(&value.replace('+', " "))
                .ok()
                .map(|value| value.into_owned())
        })
}

/// Whether a route open to group moderators lets this account in: it is an
/// active owner or moderator of a group of the workspace.
async fn moderates_a_group(
    state: &AppState,
    access: Access,
    workspace: agora_core::accounts::WorkspaceId,
    account: agora_core::accounts::AccountId,
) -> bool {
    use agora_core::members::MemberStore;
    use agora_core::moderation::ModerationStore;
    if access != Access::GroupModeration {
        return false;
    }
    match state.db.member_of_account(workspace, account).await {
        Ok(Some(member)) => state
            .db
            .moderated_groups(workspace, member)
            .await
            .is_ok_and(|groups| !groups.is_empty()),
        _ => false,
    }
}
