//! Cursor pagination shared by every listing: an opaque cursor, not an offset,
//! so pages stay stable while rows are added.

use serde::Serialize;

/// One page of a listing and the cursor of the next page, if there is one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A position in a listing ordered by descending id: "rows with id below this".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub i64);

impl Cursor {
    /// Parses a cursor sent back by a client; the field name is for the error.
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.strip_prefix("c")
            .and_then(|digits| digits.parse::<i64>().ok())
            .filter(|id| *id > 0)
            .map(Cursor)
            .ok_or_else(|| "this cursor is not one Agora gave out".to_owned())
    }

    pub fn encode(self) -> String {
        format!("c{}", self.0)
    }
}

/// Clamps a requested page size to 1..=200, defaulting to 50.
pub fn page_size(requested: Option<i64>) -> i64 {
    requested.unwrap_or(50).clamp(1, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_roundtrip_and_rejects_garbage() {
        assert_eq!(Cursor::parse(&Cursor(42).encode()), Ok(Cursor(42)));
        assert!(Cursor::parse("42").is_err());
        assert!(Cursor::parse("c-1").is_err());
        assert_eq!(page_size(Some(1000)), 200);
        assert_eq!(page_size(None), 50);
    }
}
