//! Posts: the formal job, which outlives its holders.

use chrono::{NaiveDate, NaiveDateTime};
use uuid::Uuid;

use crate::domain::facet::{parse_facets, Facet, FacetSource};
use crate::domain::text;
use crate::error::{Error, Violations};

pub const HEADCOUNT_MAX: i32 = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    pub organization_id: Uuid,
    pub title: String,
    pub function: Option<String>,
    pub reports_to_post_id: Option<Uuid>,
    pub headcount: i32,
    pub established_on: Option<NaiveDate>,
    pub abolished_on: Option<NaiveDate>,
    pub facets: Vec<Facet>,
    /// When this version of the formal facets took effect (default: now; for a new post, its
    /// `established_on`, else always).
    pub facets_effective_at: Option<NaiveDateTime>,
}

impl NewPost {
    #[expect(clippy::too_many_arguments, reason = "one argument per field of the post")]
    pub fn parse(
        organization_id: Uuid,
        title: &str,
        function: Option<&str>,
        reports_to_post_id: Option<Uuid>,
        headcount: i32,
        established_on: Option<NaiveDate>,
        abolished_on: Option<NaiveDate>,
        facets: Vec<Facet>,
        facets_effective_at: Option<NaiveDateTime>,
    ) -> Result<Self, Error> {
        let mut violations = Violations::default();
        let title = violations.check(text::required(title, "/title", text::NAME_MAX));
        let function = violations.check(text::optional_line(function, "/function", text::NAME_MAX));
        if !(1..=HEADCOUNT_MAX).contains(&headcount) {
            violations.add("/headcount", format!("must be between 1 and {HEADCOUNT_MAX}"));
        }
        if let (Some(established), Some(abolished)) = (established_on, abolished_on) {
            if abolished < established {
                violations.add("/abolished_on", "must not be before established_on");
            }
        }
        let facets = parse_facets(facets, FacetSource::Formal, "/facets")
            .map_err(|e| violations.extend(e))
            .ok();
        violations.into_result()?;
        Ok(NewPost {
            organization_id,
            title: title.unwrap_or_default(),
            function: function.flatten(),
            reports_to_post_id,
            headcount,
            established_on,
            abolished_on,
            facets: facets.unwrap_or_default(),
            facets_effective_at,
        })
    }
}
