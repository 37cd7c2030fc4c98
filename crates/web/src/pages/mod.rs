//! Server-rendered pages, one module per area; each handler extracts, calls
//! the store and renders a template. Errors become friendly pages.

pub mod account;
pub mod analytics;
pub mod audience;
pub mod calendar;
pub mod channels;
pub mod community;
pub mod compose;
pub mod events;
pub mod funnel;
pub mod groups;
pub mod marketing;
pub mod member;
pub mod moderation;
pub mod people;
pub mod queue;
pub mod settings;
pub mod workspace;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use agora_core::StoreError;

use crate::problem::Problem;

/// Renders a template, or a 500 page if rendering fails.
pub fn render(template: &impl Template) -> Response {
    render_with_status(StatusCode::OK, template)
}

pub fn render_with_status(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "template rendering failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Try again.",
            )
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    heading: &'a str,
    message: &'a str,
}

/// A friendly error page for 403, 404 and 500.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let heading = match status {
        StatusCode::FORBIDDEN => "You can't open this page",
        StatusCode::NOT_FOUND => "We couldn't find that page",
        StatusCode::UNAUTHORIZED => "Please sign in",
        _ => "Something went wrong",
    };
    let page = ErrorPage {
        status: status.as_u16(),
        heading,
        message,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message.to_owned()).into_response(),
    }
}

/// The error of a page handler: rendered as a friendly page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.status, &self.message)
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => {
                PageError::not_found("It may have been removed, or the link is wrong.")
            }
            other => {
                tracing::error!(error = %other, "storage error on a page");
                PageError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "Something went wrong on our side. Try again.".into(),
                }
            }
        }
    }
}

impl From<Problem> for PageError {
    fn from(problem: Problem) -> Self {
        PageError {
            status: StatusCode::from_u16(problem.status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            message: problem.detail.unwrap_or(problem.title),
        }
    }
}

pub type PageResult = Result<Response, PageError>;

/// Errors shown next to form fields.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field, message.into()));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The general error (not tied to a field), if any.
    pub fn general(&self) -> Option<&str> {
        self.get("_")
    }
}

/// A same-site path to return to after signing in, or `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}
