//! Persons: name and contact details, kept apart from any post they hold.

use crate::domain::text;
use crate::error::{Error, Violations};

pub const EMAILS_MAX: usize = 20;

#[derive(Debug, Clone, PartialEq)]
pub struct NewPerson {
    pub display_name: String,
    pub emails: Vec<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
}

impl NewPerson {
    pub fn parse(
        display_name: &str,
        emails: &[String],
        phone: Option<&str>,
        notes: Option<&str>,
    ) -> Result<Self, Error> {
        let mut violations = Violations::default();
        let display_name =
            violations.check(text::required(display_name, "/display_name", text::NAME_MAX));
        if emails.len() > EMAILS_MAX {
            violations.add("/emails", format!("at most {EMAILS_MAX} addresses"));
        }
        let mut parsed_emails: Vec<String> = Vec::new();
        for (i, email) in emails.iter().enumerate() {
            let email = email.trim();
            if is_plausible_email(email) {
                if !parsed_emails.iter().any(|e| e.eq_ignore_ascii_case(email)) {
                    parsed_emails.push(email.to_owned());
                }
            } else {
                violations.add(format!("/emails/{i}"), "must be an e-mail address");
            }
        }
        let phone = violations.check(text::optional_line(phone, "/phone", 50));
        let notes = violations.check(text::optional(notes, "/notes", text::NOTES_MAX));
        violations.into_result()?;
        Ok(NewPerson {
            display_name: display_name.unwrap_or_default(),
            emails: parsed_emails,
            phone: phone.flatten(),
            notes: notes.flatten(),
        })
    }
}

/// Deliberately loose: one `@` with something on both sides and a dot in the domain.
/// Deliverability is the CRM's concern, not ours.
fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_deduplicated() {
        let person = NewPerson::parse(
            "Ada",
            &["ada@example.com".into(), "ADA@example.com".into()],
            None,
            None,
        )
        .unwrap();
        assert_eq!(person.emails, vec!["ada@example.com"]);
        assert!(NewPerson::parse("Ada", &["nope".into()], None, None).is_err());
        assert!(NewPerson::parse("Ada", &["a@b@c.d".into()], None, None).is_err());
    }
}
