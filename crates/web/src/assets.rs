//! Static assets compiled into the binary: vendored htmx, the stylesheet and
//! a few lines of our own script. Served with a long cache lifetime.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "htmx.min.js",
        "text/javascript",
        include_bytes!("../assets/htmx.min.js"),
    ),
    ("app.css", "text/css", include_bytes!("../assets/app.css")),
    (
        "app.js",
        "text/javascript",
        include_bytes!("../assets/app.js"),
    ),
    (
        "calendar.js",
        "text/javascript",
        include_bytes!("../assets/calendar.js"),
    ),
    (
        "scan.js",
        "text/javascript",
        include_bytes!("../assets/scan.js"),
    ),
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, ..)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
