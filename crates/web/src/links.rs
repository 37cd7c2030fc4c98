//! The tracked-link redirect, `GET /r/{token}`: public, answers `302 Found`
//! to the link's original URL and counts a click, except for `HEAD`
//! requests and link-preview fetchers, crawlers and scripts (by User-Agent,
//! [`agora_core::links::is_automated`]). A visitor signed in to a member of
//! the link's workspace is recorded with the click.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use agora_core::links::{LinkStore, TOKEN_BYTES, is_automated};
use agora_core::members::MemberStore;

use crate::AppState;
use crate::auth::Ctx;
use crate::pages::error_page;

/// A token is URL-safe base64 of [`TOKEN_BYTES`] bytes; anything else is
/// unknown without asking the database.
fn well_formed(token: &str) -> bool {
    token.len() == (TOKEN_BYTES * 4).div_ceil(3)
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn not_found() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "This link is unknown. Check that it was copied whole.",
    )
}

pub async fn redirect(
    State(state): State<AppState>,
    Extension(ctx): Extension<Arc<Ctx>>,
    method: Method,
    headers: axum::http::HeaderMap,
    Path(token): Path<String>,
) -> Response {
    if !well_formed(&token) {
        return not_found();
    }
    let hit = match state.db.link_by_token(&token).await {
        Ok(Some(hit)) => hit,
        Ok(None) => return not_found(),
        Err(error) => {
            tracing::error!(%error, "could not read a tracked link");
            return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Please try again.");
        }
    };
    let Ok(location) = HeaderValue::from_str(&hit.url) else {
        return not_found();
    };
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok());
    if method == Method::GET && !is_automated(agent) {
        let member = match &ctx.account {
            Some(account) => state
                .db
                .member_of_account(hit.workspace_id, account.id)
                .await
                .ok()
                .flatten(),
            None => None,
        };
        // A click that cannot be written still takes the visitor on.
        if let Err(error) = state
            .db
            .record_click(hit.link_id, state.clock.now(), member)
            .await
        {
            tracing::error!(%error, "could not count a click");
        }
    }
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            ),
            (
                header::HeaderName::from_static("x-robots-tag"),
                HeaderValue::from_static("noindex"),
            ),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_eleven_url_safe_characters() {
        let token = agora_core::secrets::random_token(TOKEN_BYTES);
        assert!(well_formed(&token), "{token}");
        assert!(!well_formed("short"));
        assert!(!well_formed("aaaaaaaaaa/"));
        assert!(!well_formed("../../etc/x"));
    }
}
