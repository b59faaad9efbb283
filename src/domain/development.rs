//! Development plans: how the holder of a tenure crafts toward growth — a target post, the
//! facets to develop with a target weight each (stretch crafts), agreed learning time, the
//! mentors and stakeholders sought, artifacts as evidence and check-ins. Progress is never
//! typed in: it is read from the holder's crafting revisions (`progress`).

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::crafting::{FacetKey, DEFAULT_FLOOR};
use crate::domain::facet::{dimension_name, Dimension, Facet, KEY_MAX};
use crate::domain::text::{self, NAME_MAX};
use crate::error::{Error, Violations};

pub const GOALS_MAX: usize = 20;
pub const SOUGHT_MAX: usize = 20;
pub const ARTIFACTS_MAX: usize = 100;
pub const CHECK_INS_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 1_000;
pub const LINK_MAX: usize = 2_000;
pub const CHECK_IN_NOTES_MAX: usize = 4_000;
/// A week has 168 hours; learning time is agreed in hours per week.
pub const HOURS_MAX: f64 = 40.0;
/// Learning time per person and week a tenant allows over all active plans, until it sets its
/// own: a tenth of a 40-hour week.
pub const DEFAULT_LEARNING_HOURS_LIMIT: f64 = 4.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DevelopmentPlanState)]
pub enum PlanState {
    Active,
    Achieved,
    Dropped,
}

impl PlanState {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanState::Active => "active",
            PlanState::Achieved => "achieved",
            PlanState::Dropped => "dropped",
        }
    }

    pub fn parse(name: &str) -> Option<PlanState> {
        [PlanState::Active, PlanState::Achieved, PlanState::Dropped]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// A facet to develop and the weight the plan aims for: a stretch craft ("lead two client
/// calls a month": `task:customer_contact` to 0.6), or one to play down (a negative or lower
/// target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DevelopmentGoal)]
pub struct Goal {
    pub dimension: Dimension,
    /// A key of the tenant's vocabulary for the dimension.
    #[schema(min_length = 1, max_length = 64, examples("customer_contact"))]
    pub key: String,
    /// The weight aimed for, -1 to 1.
    #[schema(minimum = -1, maximum = 1, examples(0.6))]
    pub target_weight: f64,
    /// The stretch craft in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000, examples("Lead two client calls a month"))]
    pub description: Option<String>,
}

impl Goal {
    pub fn key(&self) -> FacetKey {
        (self.dimension, self.key.clone())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SoughtRole {
    Mentor,
    Stakeholder,
}

/// A person the holder seeks out for the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sought {
    pub person_id: Uuid,
    pub role: SoughtRole,
}

/// Evidence of a new capability: a document, a recording, a deal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// An `http` or `https` link to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub link: Option<String>,
    pub date: NaiveDate,
}

/// A one-on-one about the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    pub date: NaiveDate,
    #[schema(min_length = 1, max_length = 4000)]
    pub notes: String,
}

/// A development plan as a client writes it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlan {
    pub tenure_id: Uuid,
    pub target_post_id: Option<Uuid>,
    pub title: String,
    pub state: PlanState,
    pub learning_hours_per_week: f64,
    pub goals: Vec<Goal>,
    pub sought: Vec<Sought>,
    pub artifacts: Vec<Artifact>,
    pub check_ins: Vec<CheckIn>,
}

impl NewPlan {
    /// Checks every field, naming each that is wrong.
    pub fn validate(self) -> Result<Self, Error> {
        let mut v = Violations::default();
        let title = v.check(text::required(&self.title, "/title", NAME_MAX));
        if !(0.0..=HOURS_MAX).contains(&self.learning_hours_per_week) {
            v.add("/learning_hours_per_week", format!("must be between 0 and {HOURS_MAX}"));
        }
        if self.goals.len() > GOALS_MAX {
            v.add("/goals", format!("at most {GOALS_MAX} facets to develop"));
        }
        let mut seen = HashSet::new();
        let mut goals = Vec::with_capacity(self.goals.len());
        for (i, goal) in self.goals.into_iter().enumerate() {
            let at = format!("/goals/{i}");
            let key = v.check(text::slug(&goal.key, &format!("{at}/key"), KEY_MAX));
            let description = v.check(text::optional(
                goal.description.as_deref(),
                &format!("{at}/description"),
                DESCRIPTION_MAX,
            ));
            if !(-1.0..=1.0).contains(&goal.target_weight) {
                v.add(format!("{at}/target_weight"), "must be between -1 and 1");
            }
            if let (Some(key), Some(description)) = (key, description) {
                if !seen.insert((goal.dimension, key.clone())) {
                    let name = dimension_name(goal.dimension);
                    v.add(format!("{at}/key"), format!("`{name}:{key}` appears more than once"));
                }
                goals.push(Goal { key, description, ..goal });
            }
        }
        if self.sought.len() > SOUGHT_MAX {
            v.add("/sought", format!("at most {SOUGHT_MAX} persons"));
        }
        for (i, sought) in self.sought.iter().enumerate() {
            if self.sought[..i].iter().any(|s| s.person_id == sought.person_id) {
                v.add(format!("/sought/{i}/person_id"), "listed twice");
            }
        }
        if self.artifacts.len() > ARTIFACTS_MAX {
            v.add("/artifacts", format!("at most {ARTIFACTS_MAX} artifacts"));
        }
        let mut artifacts = Vec::with_capacity(self.artifacts.len());
        for (i, artifact) in self.artifacts.into_iter().enumerate() {
            let at = format!("/artifacts/{i}");
            let title = v.check(text::required(&artifact.title, &format!("{at}/title"), NAME_MAX));
            let link = v.check(link(artifact.link.as_deref(), &format!("{at}/link")));
            if let (Some(title), Some(link)) = (title, link) {
                artifacts.push(Artifact { title, link, ..artifact });
            }
        }
        if self.check_ins.len() > CHECK_INS_MAX {
            v.add("/check_ins", format!("at most {CHECK_INS_MAX} check-ins"));
        }
        let mut check_ins = Vec::with_capacity(self.check_ins.len());
        for (i, check_in) in self.check_ins.into_iter().enumerate() {
            let pointer = format!("/check_ins/{i}/notes");
            if let Some(notes) =
                v.check(text::optional(Some(&check_in.notes), &pointer, CHECK_IN_NOTES_MAX))
            {
                match notes {
                    Some(notes) => check_ins.push(CheckIn { notes, ..check_in }),
                    None => v.add(pointer, "must not be empty"),
                }
            }
        }
        v.into_result()?;
        Ok(NewPlan { title: title.unwrap_or_default(), goals, artifacts, check_ins, ..self })
    }
}

/// An optional link: `http` or `https`, no spaces or control characters.
fn link(value: Option<&str>, pointer: &str) -> Result<Option<String>, crate::error::FieldError> {
    let Some(link) = text::optional_line(value, pointer, LINK_MAX)? else {
        return Ok(None);
    };
    let scheme_ok = ["http://", "https://"].iter().any(|s| link.starts_with(s));
    if !scheme_ok || link.contains(char::is_whitespace) || link.len() <= "https://".len() {
        return Err(crate::error::FieldError::new(pointer, "must be an http or https link"));
    }
    Ok(Some(link))
}

/// The guardrail: a goal may not aim a core facet of the current post below its floor. One
/// violation per such goal, naming the facet.
pub fn guardrail(goals: &[Goal], formal: &[Facet], violations: &mut Violations) {
    for (i, goal) in goals.iter().enumerate() {
        let core =
            formal.iter().find(|f| f.core && f.dimension == goal.dimension && f.key == goal.key);
        if let Some(core) = core {
            let floor = core.floor.unwrap_or(DEFAULT_FLOOR);
            if goal.target_weight < floor {
                violations.add(
                    format!("/goals/{i}/target_weight"),
                    format!(
                        "would take `{}:{}`, a core facet of the current post, below its floor \
                         {floor}; change the post's formal facets first",
                        dimension_name(goal.dimension),
                        goal.key
                    ),
                );
            }
        }
    }
}

/// How far a goal has come: from its weight when the plan started (`baseline`) to `current`,
/// against `target`. Share in [0, 1]; reached once `current` is at the target or beyond it in
/// the plan's direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub baseline: f64,
    pub current: f64,
    pub target: f64,
    pub share: f64,
    pub reached: bool,
}

pub fn progress(baseline: f64, current: f64, target: f64) -> Progress {
    let rising = target >= baseline;
    let reached = if rising { current >= target } else { current <= target };
    let span = target - baseline;
    let share = if reached {
        1.0
    } else if span.abs() < 1e-12 {
        0.0
    } else {
        ((current - baseline) / span).clamp(0.0, 1.0)
    };
    Progress { baseline, current, target, share, reached }
}

/// Learning time agreed in a person's active plans against the tenant's limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearningTime {
    /// Hours per week over every active plan of the person, this one included when active.
    pub total: f64,
    pub limit: f64,
}

impl LearningTime {
    pub fn over_limit(&self) -> bool {
        self.total > self.limit + 1e-9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(key: &str, target_weight: f64) -> Goal {
        Goal { dimension: Dimension::Task, key: key.into(), target_weight, description: None }
    }

    fn plan(goals: Vec<Goal>) -> NewPlan {
        NewPlan {
            tenure_id: Uuid::nil(),
            target_post_id: None,
            title: " Toward account executive ".into(),
            state: PlanState::Active,
            learning_hours_per_week: 2.0,
            goals,
            sought: vec![],
            artifacts: vec![],
            check_ins: vec![],
        }
    }

    fn pointers(e: Error) -> Vec<String> {
        match e {
            Error::Invalid(errors) => errors.into_iter().map(|e| e.pointer).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_plan_is_checked_field_by_field() {
        assert_eq!(
            plan(vec![goal("reporting", 0.5)]).validate().unwrap().title,
            "Toward account executive"
        );
        let mut bad =
            plan(vec![goal("Reporting", 0.5), goal("tendering", 1.5), goal("tendering", 0.2)]);
        bad.learning_hours_per_week = -1.0;
        bad.artifacts.push(Artifact {
            title: "Deck".into(),
            link: Some("javascript:alert(1)".into()),
            date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        });
        bad.check_ins.push(CheckIn {
            date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            notes: " ".into(),
        });
        let person = Uuid::from_u128(7);
        bad.sought = vec![
            Sought { person_id: person, role: SoughtRole::Mentor },
            Sought { person_id: person, role: SoughtRole::Stakeholder },
        ];
        assert_eq!(
            pointers(bad.validate().unwrap_err()),
            vec![
                "/learning_hours_per_week",
                "/goals/0/key",
                "/goals/1/target_weight",
                "/goals/2/key",
                "/sought/1/person_id",
                "/artifacts/0/link",
                "/check_ins/0/notes",
            ]
        );
    }

    #[test]
    fn a_goal_may_not_take_a_core_facet_below_its_floor() {
        let formal = vec![
            Facet {
                dimension: Dimension::Task,
                key: "reporting".into(),
                weight: 0.8,
                note: None,
                core: true,
                floor: Some(0.3),
            },
            Facet {
                dimension: Dimension::Task,
                key: "claims_handling".into(),
                weight: 0.5,
                note: None,
                core: true,
                floor: None,
            },
            Facet {
                dimension: Dimension::Task,
                key: "tendering".into(),
                weight: 0.5,
                note: None,
                core: false,
                floor: None,
            },
        ];
        let goals =
            vec![goal("reporting", 0.2), goal("claims_handling", 0.1), goal("tendering", -1.0)];
        let mut v = Violations::default();
        guardrail(&goals, &formal, &mut v);
        let pointers = pointers(v.into_result().unwrap_err());
        assert_eq!(pointers, vec!["/goals/0/target_weight"], "the default floor is 0.1, inclusive");
    }

    #[test]
    fn progress_runs_from_the_baseline_to_the_target_either_way() {
        assert!((progress(0.2, 0.5, 0.8).share - 0.5).abs() < 1e-12);
        assert!(!progress(0.2, 0.5, 0.8).reached);
        assert!(progress(0.2, 0.9, 0.8).reached);
        assert_eq!(progress(0.2, 0.9, 0.8).share, 1.0);
        assert_eq!(progress(0.2, 0.1, 0.8).share, 0.0, "going backwards is no progress");
        let down = progress(0.6, 0.4, 0.2);
        assert!((down.share - 0.5).abs() < 1e-12 && !down.reached);
        assert!(progress(0.3, 0.3, 0.3).reached);
        assert!(LearningTime { total: 4.5, limit: 4.0 }.over_limit());
        assert!(!LearningTime { total: 4.0, limit: 4.0 }.over_limit());
    }
}
