//! Development plans, as the entity clients write (see `store::resource`), with the view their
//! `GET` answers: each goal's progress read from the holder's crafting revisions, the learning
//! time of the person's active plans against the tenant's limit, and readiness for the target.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::crafting::{in_force, TimePoint};
use crate::domain::development::{
    guardrail, progress, Goal, LearningTime, NewPlan, PlanState, Progress,
    DEFAULT_LEARNING_HOURS_LIMIT,
};
use crate::domain::facet::Facet;
use crate::domain::sync::ExternalRef;
use crate::domain::tenant::TenantId;
use crate::error::{Error, FieldError, Violations};
use crate::store::changes::{self, Entity, Operation};
use crate::store::crafting::{self, TenureHistory};
use crate::store::external_refs;
use crate::store::resource::Resource;
use crate::store::schema::{development_plans, development_settings, tenures};
use crate::store::tenures as tenure_store;
use crate::store::{from_json, now, parse_id, persons, posts, readiness, to_json, vocabulary};
use crate::store::{DbConn, PageRequest};

#[derive(Debug, Clone)]
pub struct Plan {
    pub id: Uuid,
    pub fields: NewPlan,
    /// Ids in other systems; loaded by `find` and `list` only.
    pub external_refs: Option<Vec<ExternalRef>>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A goal with how far it has come, and each crafting revision since the plan started that
/// moved it: (effective at, weight then, revision).
#[derive(Debug, Clone)]
pub struct GoalProgress {
    pub goal: Goal,
    pub progress: Progress,
    pub steps: Vec<(NaiveDateTime, f64, Uuid)>,
}

/// A plan as its `GET` shows it.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub plan: Plan,
    pub person_id: Uuid,
    pub goals: Vec<GoalProgress>,
    pub learning: LearningTime,
    /// The holder's readiness for the target post now; `None` without a target (or once the
    /// target post is deleted).
    pub target_readiness: Option<f64>,
}

type Row = (
    String,
    String,
    Option<String>,
    String,
    String,
    f64,
    String,
    String,
    String,
    String,
    i64,
    NaiveDateTime,
    NaiveDateTime,
);

macro_rules! columns {
    () => {
        (
            development_plans::id,
            development_plans::tenure_id,
            development_plans::target_post_id,
            development_plans::title,
            development_plans::state,
            development_plans::learning_hours_per_week,
            development_plans::goals,
            development_plans::sought,
            development_plans::artifacts,
            development_plans::check_ins,
            development_plans::version,
            development_plans::created_at,
            development_plans::updated_at,
        )
    };
}

fn plan(row: Row) -> Result<Plan, Error> {
    let (
        id,
        tenure,
        target,
        title,
        state,
        hours,
        goals,
        sought,
        artifacts,
        check_ins,
        version,
        created,
        updated,
    ) = row;
    Ok(Plan {
        id: parse_id(&id)?,
        fields: NewPlan {
            tenure_id: parse_id(&tenure)?,
            target_post_id: target.as_deref().map(parse_id).transpose()?,
            title,
            state: PlanState::parse(&state)
                .ok_or_else(|| Error::internal(format!("stored plan state `{state}`")))?,
            learning_hours_per_week: hours,
            goals: from_json(&goals)?,
            sought: from_json(&sought)?,
            artifacts: from_json(&artifacts)?,
            check_ins: from_json(&check_ins)?,
        },
        external_refs: None,
        version,
        created_at: created,
        updated_at: updated,
    })
}

row_reads!(development_plans, Entity::DevelopmentPlan, Plan, Row = columns!() => plan);

/// The columns a client writes, shared by insert and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = development_plans, treat_none_as_null = true)]
struct Fields<'a> {
    tenure_id: String,
    target_post_id: Option<String>,
    title: &'a str,
    state: &'static str,
    learning_hours_per_week: f64,
    goals: String,
    sought: String,
    artifacts: String,
    check_ins: String,
}

impl<'a> Fields<'a> {
    fn of(new: &'a NewPlan) -> Result<Self, Error> {
        Ok(Fields {
            tenure_id: new.tenure_id.to_string(),
            target_post_id: new.target_post_id.map(|p| p.to_string()),
            title: &new.title,
            state: new.state.as_str(),
            learning_hours_per_week: new.learning_hours_per_week,
            goals: to_json(&new.goals)?,
            sought: to_json(&new.sought)?,
            artifacts: to_json(&new.artifacts)?,
            check_ins: to_json(&new.check_ins)?,
        })
    }
}

/// What a plan names exists in the tenant, its goals use the vocabulary, and none takes a core
/// facet of the current post below its floor.
fn check(conn: &mut DbConn, tenant: TenantId, new: &NewPlan) -> Result<(), Error> {
    let history = match crafting::history(conn, tenant, new.tenure_id) {
        Err(Error::NotFound) => return Err(Error::invalid("/tenure_id", "no such tenure")),
        other => other?,
    };
    if let Some(target) = new.target_post_id {
        if let Err(Error::NotFound) = posts::find(conn, tenant, target) {
            return Err(Error::invalid("/target_post_id", "no such post"));
        }
    }
    let pointers: Vec<String> =
        (0..new.sought.len()).map(|i| format!("/sought/{i}/person_id")).collect();
    let sought: Vec<(Uuid, &str)> =
        new.sought.iter().zip(&pointers).map(|(s, p)| (s.person_id, p.as_str())).collect();
    persons::require(conn, tenant, &sought)?;
    let facets: Vec<Facet> = new
        .goals
        .iter()
        .map(|g| Facet {
            dimension: g.dimension,
            key: g.key.clone(),
            weight: g.target_weight,
            note: None,
            core: false,
            floor: None,
        })
        .collect();
    vocabulary::check_keys(conn, tenant, &facets, "/goals")?;
    let now = crate::store::now_point();
    let formal = history.formal_at(now).map(|f| f.facets.as_slice()).unwrap_or_default();
    let mut violations = Violations::default();
    guardrail(&new.goals, formal, &mut violations);
    violations.into_result()
}

/// The tenant's learning-time limit (hours per person and week over active plans).
pub fn learning_hours_limit(conn: &mut DbConn, tenant: TenantId) -> Result<f64, Error> {
    let limit: Option<f64> = development_settings::table
        .filter(development_settings::tenant_id.eq(tenant))
        .select(development_settings::learning_hours_limit)
        .first(conn)
        .optional()?;
    Ok(limit.unwrap_or(DEFAULT_LEARNING_HOURS_LIMIT))
}

pub fn save_learning_hours_limit(
    conn: &mut DbConn,
    tenant: TenantId,
    limit: f64,
) -> Result<(), Error> {
    diesel::delete(development_settings::table.filter(development_settings::tenant_id.eq(tenant)))
        .execute(conn)?;
    diesel::insert_into(development_settings::table)
        .values((
            development_settings::tenant_id.eq(tenant),
            development_settings::learning_hours_limit.eq(limit),
            development_settings::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Learning hours per week of the person's active plans, over all their tenures.
fn active_hours(conn: &mut DbConn, tenant: TenantId, person: Uuid) -> Result<f64, Error> {
    let theirs = tenures::table
        .filter(tenures::tenant_id.eq(tenant))
        .filter(tenures::person_id.eq(person.to_string()))
        .select(tenures::id);
    let hours: Vec<f64> = development_plans::table
        .filter(development_plans::tenant_id.eq(tenant))
        .filter(development_plans::tenure_id.eq_any(theirs))
        .filter(development_plans::state.eq(PlanState::Active.as_str()))
        .select(development_plans::learning_hours_per_week)
        .load(conn)?;
    Ok(hours.iter().sum())
}

/// The effective weight of a goal's facet at `as_of`, as known now (0 when the job does not
/// stress it).
fn weight_at(
    history: &TenureHistory,
    goal: &Goal,
    as_of: NaiveDateTime,
    known_at: NaiveDateTime,
) -> f64 {
    history.job_at(TimePoint { as_of, known_at }).weights().get(&goal.key()).copied().unwrap_or(0.0)
}

/// A plan with its progress, read from its holder's `history`, and the holder's `learning`.
fn view(
    conn: &mut DbConn,
    tenant: TenantId,
    plan: Plan,
    history: &TenureHistory,
    learning: LearningTime,
) -> Result<PlanView, Error> {
    let now = now();
    let goals = plan
        .fields
        .goals
        .iter()
        .map(|goal| {
            let baseline = weight_at(history, goal, plan.created_at, now);
            let current = weight_at(history, goal, now, now);
            let mut steps: Vec<(NaiveDateTime, f64, Uuid)> = history
                .crafting
                .iter()
                .filter(|r| r.effective_at > plan.created_at && r.effective_at <= now)
                .filter(|r| r.dimensions.contains(&goal.dimension))
                .filter(|r| {
                    // The revision in force at its own time (not corrected since).
                    let at = TimePoint { as_of: r.effective_at, known_at: now };
                    in_force(&history.crafting, at, |c| c.dimensions.contains(&goal.dimension))
                        .is_some_and(|f| f.id == r.id)
                })
                .map(|r| (r.effective_at, weight_at(history, goal, r.effective_at, now), r.id))
                .collect();
            steps.sort_by_key(|s| s.0);
            GoalProgress {
                progress: progress(baseline, current, goal.target_weight),
                goal: goal.clone(),
                steps,
            }
        })
        .collect();
    let person_id = history.tenure.person_id;
    let target_readiness = match plan.fields.target_post_id {
        Some(target) => match posts::find(conn, tenant, target) {
            Ok(post) => Some(
                readiness::of_person(conn, tenant, person_id, &post, crate::store::now_point())?
                    .0
                    .score,
            ),
            Err(Error::NotFound) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    Ok(PlanView { plan, person_id, goals, learning, target_readiness })
}

/// What a plan list may be narrowed by.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanFilter {
    pub tenure_id: Option<Uuid>,
    pub state: Option<PlanState>,
}

/// Development plans, as the entity clients write (see `store::resource`).
pub struct DevelopmentPlans;

impl Resource for DevelopmentPlans {
    const ENTITY: Entity = Entity::DevelopmentPlan;
    const REFERENCES: &'static [(&'static str, Entity)] =
        &[("tenure_id", Entity::Tenure), ("target_post_id", Entity::Post)];
    type New = NewPlan;
    type Stored = Plan;
    type View = PlanView;
    type Filter = PlanFilter;

    fn key(stored: &Plan) -> (Uuid, i64) {
        (stored.id, stored.version)
    }
    fn as_written(p: &Plan) -> NewPlan {
        p.fields.clone()
    }

    fn find(conn: &mut DbConn, tenant: TenantId, id: Uuid) -> Result<Plan, Error> {
        find(conn, tenant, id)
    }

    fn list(
        conn: &mut DbConn,
        tenant: TenantId,
        filter: PlanFilter,
        page: PageRequest<Uuid>,
    ) -> Result<(Vec<Plan>, bool), Error> {
        let mut query = development_plans::table
            .filter(development_plans::tenant_id.eq(tenant))
            .select(columns!())
            .into_boxed();
        if let Some(tenure) = filter.tenure_id {
            query = query.filter(development_plans::tenure_id.eq(tenure.to_string()));
        }
        if let Some(state) = filter.state {
            query = query.filter(development_plans::state.eq(state.as_str()));
        }
        page_with_refs!(conn, tenant, query, development_plans, page, plan, Entity::DevelopmentPlan)
    }

    fn views(
        conn: &mut DbConn,
        tenant: TenantId,
        stored: Vec<Plan>,
    ) -> Result<Vec<PlanView>, Error> {
        // Once per page: the tenant's limit, each tenure's history, each holder's hours.
        let limit = learning_hours_limit(conn, tenant)?;
        let mut tenure_ids: Vec<Uuid> = stored.iter().map(|p| p.fields.tenure_id).collect();
        tenure_ids.sort();
        tenure_ids.dedup();
        let held = tenure_store::find_many(conn, tenant, &tenure_ids)?;
        let histories: HashMap<Uuid, TenureHistory> = crafting::histories(conn, tenant, held)?
            .into_iter()
            .map(|h| (h.tenure.id, h))
            .collect();
        let mut hours: HashMap<Uuid, f64> = HashMap::new();
        let mut views = Vec::with_capacity(stored.len());
        for plan in stored {
            let history = histories.get(&plan.fields.tenure_id).ok_or(Error::NotFound)?;
            let person = history.tenure.person_id;
            let total = match hours.get(&person) {
                Some(total) => *total,
                None => *hours.entry(person).or_insert(active_hours(conn, tenant, person)?),
            };
            views.push(view(conn, tenant, plan, history, LearningTime { total, limit })?);
        }
        Ok(views)
    }

    fn create(conn: &mut DbConn, tenant: TenantId, new: &NewPlan) -> Result<Plan, Error> {
        check(conn, tenant, new)?;
        let id = Uuid::now_v7();
        let at = now();
        diesel::insert_into(development_plans::table)
            .values(first_version!(development_plans, tenant, id, at, Fields::of(new)?))
            .execute(conn)?;
        changes::record(conn, tenant, Entity::DevelopmentPlan, id, Operation::Create)?;
        Self::find(conn, tenant, id)
    }

    locks_rows!(development_plans);
    fn update(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Plan,
        new: &NewPlan,
    ) -> Result<Plan, Error> {
        let id = current.id;
        if new.tenure_id != current.fields.tenure_id {
            return Err(Error::Invalid(vec![FieldError::new(
                "/tenure_id",
                "a plan stays with its tenure; start a new plan for another one",
            )]));
        }
        check(conn, tenant, new)?;
        write_version!(
            conn,
            development_plans,
            Entity::DevelopmentPlan,
            tenant,
            current,
            Fields::of(new)?
        )?;
        Self::find(conn, tenant, id)
    }

    /// Nothing depends on it: `cascade` changes nothing.
    fn delete(
        conn: &mut DbConn,
        tenant: TenantId,
        current: Plan,
        _cascade: bool,
    ) -> Result<(), Error> {
        changes::deleted(conn, tenant, Entity::DevelopmentPlan, &[current.id])?;
        diesel::delete(
            development_plans::table
                .filter(development_plans::tenant_id.eq(tenant))
                .filter(development_plans::id.eq(current.id.to_string())),
        )
        .execute(conn)?;
        Ok(())
    }
}
