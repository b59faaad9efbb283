//! Rules for free text fields, shared by every entity, and the words the service writes
//! (articles, counts) read as a person would write them.

use crate::error::FieldError;

pub const NAME_MAX: usize = 200;
pub const NOTES_MAX: usize = 10_000;

/// A required single-line text (a name, a title): trimmed, not empty, at most `max`
/// characters, no control characters at all.
pub fn required(value: &str, pointer: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(pointer, "must not be empty"));
    }
    bounded(trimmed, pointer, max, false).map(str::to_owned)
}

/// An optional free text (notes): empty or blank becomes absent; tabs and line breaks are
/// its only control characters.
pub fn optional(
    value: Option<&str>,
    pointer: &str,
    max: usize,
) -> Result<Option<String>, FieldError> {
    optional_text(value, pointer, max, true)
}

/// An optional single-line text (a phone number, an industry): like [`optional`], without
/// tabs or line breaks.
pub fn optional_line(
    value: Option<&str>,
    pointer: &str,
    max: usize,
) -> Result<Option<String>, FieldError> {
    optional_text(value, pointer, max, false)
}

fn optional_text(
    value: Option<&str>,
    pointer: &str,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, FieldError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => bounded(text, pointer, max, multiline).map(|t| Some(t.to_owned())),
    }
}

fn bounded<'a>(
    text: &'a str,
    pointer: &str,
    max: usize,
    multiline: bool,
) -> Result<&'a str, FieldError> {
    if text.chars().count() > max {
        return Err(FieldError::new(pointer, format!("must be at most {max} characters")));
    }
    let allowed = |c: char| multiline && (c == '\n' || c == '\r' || c == '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(FieldError::new(pointer, "must not contain control characters"));
    }
    Ok(text)
}

/// A machine key such as a facet key or a tag: lowercase letters, digits and `_`, `-`, `.`.
pub fn slug(value: &str, pointer: &str, max: usize) -> Result<String, FieldError> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(
            pointer,
            format!("must be 1 to {max} lowercase letters, digits, `_`, `-` or `.`"),
        ))
    }
}

/// The noun with its indefinite article, as a person writes it: "an economic buyer", "a
/// champion", "a user" (a `u` that sounds like "you" takes "a").
pub fn with_article(noun: &str) -> String {
    let sounds_like_you = ["use", "uni", "usu", "uti"].iter().any(|p| noun.starts_with(p));
    let vowel = noun.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']);
    let article = if vowel && !sounds_like_you { "an" } else { "a" };
    format!("{article} {noun}")
}

/// "1 stakeholder", "3 stakeholders": a count and its noun in the right number.
pub fn counted(count: usize, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed_and_bounded() {
        assert_eq!(required("  Ada ", "/n", 10).unwrap(), "Ada");
        assert_eq!(required("   ", "/n", 10).unwrap_err().detail, "must not be empty");
        assert!(required("abcdefghijk", "/n", 10).is_err());
        assert!(required("a\u{0}b", "/n", 10).is_err());
        assert!(required("a\nb", "/n", 10).is_err());
        assert!(optional_line(Some("a\tb"), "/n", 10).is_err());
        assert_eq!(optional(Some("a\r\nb"), "/n", 10).unwrap(), Some("a\r\nb".into()));
    }

    #[test]
    fn blank_optional_text_is_absent() {
        assert_eq!(optional(Some("  "), "/p", 5).unwrap(), None);
        assert_eq!(optional(None, "/p", 5).unwrap(), None);
        assert_eq!(optional(Some(" x "), "/p", 5).unwrap(), Some("x".into()));
    }

    #[test]
    fn slugs_are_lowercase_machine_keys() {
        assert!(slug("carbon_footprint", "/k", 64).is_ok());
        assert!(slug("iso14001", "/k", 64).is_ok());
        assert!(slug("Carbon", "/k", 64).is_err());
        assert!(slug("_x", "/k", 64).is_err());
        assert!(slug("", "/k", 64).is_err());
    }

    #[test]
    fn words_read_as_a_person_writes_them() {
        assert_eq!(with_article("economic buyer"), "an economic buyer");
        assert_eq!(with_article("influencer"), "an influencer");
        assert_eq!(with_article("decision maker"), "a decision maker");
        assert_eq!(with_article("user"), "a user");
        assert_eq!(counted(1, "seat", "seats"), "1 seat");
        assert_eq!(counted(3, "seat", "seats"), "3 seats");
    }
}
