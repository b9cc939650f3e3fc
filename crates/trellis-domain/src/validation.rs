//! Field-level validation errors, shared by every record kind so that the API (422 with
//! `errors`) and the UI (message next to the field) report them the same way.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("validation failed: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.to_owned(), message: message.into() });
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::default();
        e.add(field, message);
        e
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), Self> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Checks a required single-line text: trimmed, not empty, at most `max` characters,
    /// no control characters.
    pub fn required_line(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.add(field, "is required");
        } else if v.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        } else if v.chars().any(char::is_control) {
            self.add(field, "must be a single line without control characters");
        }
        v.to_owned()
    }

    /// Checks a required multi-line text: trimmed, not empty, at most `max` characters.
    pub fn required_text(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = self.text(field, value.trim(), max);
        if v.is_empty() {
            self.add(field, "is required");
        }
        v
    }

    /// Checks a multi-line text: at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
        value.to_owned()
    }

    /// Checks an e-mail address: one `@`, something on both sides, no spaces. Lower-cased,
    /// because addresses are compared case-insensitively for login.
    pub fn email(&mut self, field: &str, value: &str) -> String {
        let v = value.trim().to_lowercase();
        let ok = v.len() <= 254
            && v.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
                    || !l.is_empty() && d == "localhost"
            })
            && v.matches('@').count() == 1
            && !v.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            self.add(field, "must be an e-mail address");
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_rules() {
        let mut e = ValidationErrors::default();
        assert_eq!(e.email("email", " Ada@Example.COM "), "ada@example.com");
        assert_eq!(e.email("email", "admin@localhost"), "admin@localhost");
        assert!(e.is_empty());
        for bad in ["", "a", "a@b", "@b.c", "a@@b.c", "a b@c.d", "a@.c", "a@c."] {
            let mut e = ValidationErrors::default();
            e.email("email", bad);
            assert!(!e.is_empty(), "{bad} accepted");
        }
    }

    #[test]
    fn required_line_rules() {
        let mut e = ValidationErrors::default();
        assert_eq!(e.required_line("title", "  Printer down ", 10), "Printer down");
        assert_eq!(e.0[0].message, "must be at most 10 characters");
        let mut e = ValidationErrors::default();
        e.required_line("title", "   ", 10);
        assert_eq!(e.0[0].message, "is required");
        let mut e = ValidationErrors::default();
        e.required_line("title", "a\u{7}b", 10);
        assert_eq!(e.0.len(), 1);
    }
}
