//! An account's alerts on the wire: each alert with the ids needed to act on it, its message
//! for people, and its life (state, last decision, whether it returned).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::account::{Alert, Whereabouts};
use crate::domain::alert::{AlertState, Decision, Tracked};
use crate::domain::coverage::BuyingRole;
use crate::domain::text;
use crate::store::accounts::AccountData;

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertType {
    /// The account's only champion left, and we covered them.
    ChampionLost,
    /// Another buying role held and covered is held by nobody now.
    BuyingRoleLost,
    CoveredPersonLeft,
    UncoveredBuyingRole,
    /// Someone our salespeople cover has arrived from elsewhere: a warm lead.
    KnownPersonArrived,
    SingleThreadedAccount,
    NewHolder,
    VacantPost,
    StaleRelationship,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhereaboutsResponse {
    pub organization_id: Uuid,
    pub post_id: Uuid,
    pub tenure_id: Uuid,
}

/// A manager's decision about an alert: who, when and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionResponse {
    pub state: AlertState,
    /// `snoozed`: the day it is open again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The name of the API key that decided.
    pub by: String,
    pub at: DateTime<Utc>,
}

impl DecisionResponse {
    pub fn of(decision: &Decision, by: &str, at: chrono::NaiveDateTime) -> Self {
        DecisionResponse {
            state: decision.state,
            until: decision.until,
            note: decision.note.clone(),
            by: by.to_owned(),
            at: at.and_utc(),
        }
    }
}

/// An alert with the ids needed to act on it; fields that do not apply are left out.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertResponse {
    /// The same on every report that raises it: `PUT /v1/alerts/{alert_id}` decides about it.
    pub alert_id: Uuid,
    #[serde(rename = "type")]
    pub alert_type: AlertType,
    /// What happened, for people.
    pub message: String,
    /// `open` (needs action), `acknowledged`, `snoozed` or `dismissed`.
    pub state: AlertState,
    /// Decided about before, and open again: its snooze ended or its facts changed.
    pub returned: bool,
    /// The last decision about it, if any (also when it came back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenure_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salesperson_ids: Option<Vec<Uuid>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buying_role: Option<BuyingRole>,
    /// `covered_person_left`: where the person holds a post now, outside the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now_at: Option<WhereaboutsResponse>,
    /// `known_person_arrived`: the post they held last, outside the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub came_from: Option<WhereaboutsResponse>,
    /// `known_person_arrived`: the strongest of their coverage links, 0 to 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strength: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_interaction_at: Option<DateTime<Utc>>,
}

impl AlertResponse {
    fn new(alert_type: AlertType, message: String) -> Self {
        AlertResponse {
            alert_id: Uuid::nil(),
            alert_type,
            message,
            state: AlertState::Open,
            returned: false,
            decision: None,
            post_id: None,
            organization_id: None,
            tenure_id: None,
            person_id: None,
            salesperson_ids: None,
            coverage_id: None,
            buying_role: None,
            now_at: None,
            came_from: None,
            strength: None,
            date: None,
            last_interaction_at: None,
        }
    }
}

/// The alert as the API shows it, with its life.
pub fn tracked_alert(
    tracked: &Tracked<'_>,
    data: &AccountData,
    titles: &HashMap<Uuid, &str>,
) -> AlertResponse {
    AlertResponse {
        alert_id: tracked.id,
        state: tracked.state,
        returned: tracked.returned,
        decision: tracked.decided.map(|d| DecisionResponse::of(&d.decision, &d.by, d.at)),
        ..alert(tracked.alert, data, titles)
    }
}

fn alert(a: &Alert, data: &AccountData, titles: &HashMap<Uuid, &str>) -> AlertResponse {
    let name = |id: &Uuid| data.names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let title = |id: &Uuid| titles.get(id).map_or_else(|| id.to_string(), |t| (*t).to_owned());
    match a {
        Alert::VacantPost { post_id, organization_id, open_seats } => AlertResponse {
            post_id: Some(*post_id),
            organization_id: Some(*organization_id),
            ..AlertResponse::new(
                AlertType::VacantPost,
                format!(
                    "{} has {} open",
                    title(post_id),
                    text::counted(*open_seats as usize, "seat", "seats")
                ),
            )
        },
        Alert::NewHolder { post_id, tenure_id, person_id, started_on } => AlertResponse {
            post_id: Some(*post_id),
            tenure_id: Some(*tenure_id),
            person_id: Some(*person_id),
            date: Some(*started_on),
            ..AlertResponse::new(
                AlertType::NewHolder,
                format!(
                    "{} is new as {} (since {started_on}); how they craft the job is not recorded yet",
                    name(person_id),
                    title(post_id)
                ),
            )
        },
        Alert::CoveredPersonLeft {
            post_id,
            tenure_id,
            person_id,
            ended_on,
            salesperson_ids,
            now_at,
        } => {
            let lead = match now_at {
                Some(w) => {
                    let organization = data
                        .names
                        .get(&w.organization_id)
                        .cloned()
                        .unwrap_or_else(|| "another organization".into());
                    format!("; they now work at {organization}: a lead worth following")
                }
                None => String::new(),
            };
            AlertResponse {
                post_id: Some(*post_id),
                tenure_id: Some(*tenure_id),
                person_id: Some(*person_id),
                salesperson_ids: Some(salesperson_ids.clone()),
                now_at: now_at.as_ref().map(|w: &Whereabouts| WhereaboutsResponse {
                    organization_id: w.organization_id,
                    post_id: w.post_id,
                    tenure_id: w.tenure_id,
                }),
                date: Some(*ended_on),
                ..AlertResponse::new(
                    AlertType::CoveredPersonLeft,
                    format!(
                        "{} left {} on {ended_on} and nobody covers the post now{lead}",
                        name(person_id),
                        title(post_id),
                    ),
                )
            }
        }
        Alert::BuyingRoleLost { role, post_id, tenure_id, person_id, ended_on, salesperson_ids } => {
            let role_name = text::with_article(&crate::domain::coverage::enum_name(role).replace('_', " "));
            let (alert_type, lost) = if *role == BuyingRole::Champion {
                (AlertType::ChampionLost, format!("{} has lost its champion: ", data.root.name))
            } else {
                (AlertType::BuyingRoleLost, String::new())
            };
            AlertResponse {
                post_id: Some(*post_id),
                tenure_id: Some(*tenure_id),
                person_id: Some(*person_id),
                salesperson_ids: Some(salesperson_ids.clone()),
                buying_role: Some(*role),
                date: Some(*ended_on),
                ..AlertResponse::new(
                    alert_type,
                    format!(
                        "{lost}{} ({}), {role_name} we covered, left on {ended_on}; nobody in the \
                         account is {role_name} now",
                        name(person_id),
                        title(post_id),
                    ),
                )
            }
        }
        Alert::KnownPersonArrived {
            post_id,
            tenure_id,
            person_id,
            started_on,
            came_from,
            salesperson_ids,
            strength,
        } => {
            let from = data
                .names
                .get(&came_from.organization_id)
                .cloned()
                .unwrap_or_else(|| "another organization".into());
            let coverers: Vec<String> = salesperson_ids.iter().map(&name).collect();
            AlertResponse {
                post_id: Some(*post_id),
                tenure_id: Some(*tenure_id),
                person_id: Some(*person_id),
                salesperson_ids: Some(salesperson_ids.clone()),
                came_from: Some(WhereaboutsResponse {
                    organization_id: came_from.organization_id,
                    post_id: came_from.post_id,
                    tenure_id: came_from.tenure_id,
                }),
                strength: Some(*strength),
                date: Some(*started_on),
                ..AlertResponse::new(
                    AlertType::KnownPersonArrived,
                    format!(
                        "{} has arrived as {} (since {started_on}) from {from}, and we know them: \
                         {} already covers them (strength {strength:.2}), a warm lead",
                        name(person_id),
                        title(post_id),
                        coverers.join(" and "),
                    ),
                )
            }
        }
        Alert::UncoveredBuyingRole { post_id, tenure_id, person_id, role } => AlertResponse {
            post_id: Some(*post_id),
            tenure_id: Some(*tenure_id),
            person_id: Some(*person_id),
            buying_role: Some(*role),
            ..AlertResponse::new(
                AlertType::UncoveredBuyingRole,
                format!(
                    "{} ({}) is {} and nobody covers them",
                    name(person_id),
                    title(post_id),
                    text::with_article(&crate::domain::coverage::enum_name(role).replace('_', " "))
                ),
            )
        },
        Alert::SingleThreadedAccount { salesperson_id, stakeholders } => AlertResponse {
            salesperson_ids: Some(vec![*salesperson_id]),
            ..AlertResponse::new(
                AlertType::SingleThreadedAccount,
                format!(
                    "all coverage ({}) runs through {}",
                    text::counted(*stakeholders, "stakeholder", "stakeholders"),
                    name(salesperson_id)
                ),
            )
        },
        Alert::StaleRelationship {
            coverage_id,
            salesperson_id,
            stakeholder_id,
            last_interaction_at,
        } => AlertResponse {
            coverage_id: Some(*coverage_id),
            person_id: Some(*stakeholder_id),
            salesperson_ids: Some(vec![*salesperson_id]),
            last_interaction_at: last_interaction_at.map(|t| t.and_utc()),
            ..AlertResponse::new(
                AlertType::StaleRelationship,
                match last_interaction_at {
                    Some(at) => format!(
                        "{} has not met {} since {}",
                        name(salesperson_id),
                        name(stakeholder_id),
                        at.date()
                    ),
                    None => format!(
                        "{} has no logged interaction with {}",
                        name(salesperson_id),
                        name(stakeholder_id)
                    ),
                },
            )
        },
    }
}
