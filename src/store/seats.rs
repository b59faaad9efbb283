//! Seats: a post has `headcount` of them, and no more tenures may hold it at one time. The
//! checks both writers need — a post given fewer seats, tenures created or moved — written
//! against the tables only, so posts and tenures both import this module and neither imports
//! the other for it.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::tenant::TenantId;
use crate::domain::tenure::{seat_conflicts, Period};
use crate::error::Error;
use crate::store::schema::{posts, tenures};
use crate::store::{parse_id, DbConn};

/// A tenure wanting one of a post's seats for a period.
#[derive(Debug, Clone, Copy)]
pub struct SeatClaim {
    pub tenure: Uuid,
    pub post: Uuid,
    pub period: Period,
}

/// Takes the row locks of these posts (a no-op update), so that concurrent tenure writes on
/// a post check its seats one after the other, and answers their seats; a post that does not
/// exist is absent.
pub fn lock_seats(
    conn: &mut DbConn,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, i32>, Error> {
    let (t, ids): (String, Vec<String>) =
        (tenant.to_string(), ids.iter().map(Uuid::to_string).collect());
    diesel::update(posts::table.filter(posts::tenant_id.eq(&t)).filter(posts::id.eq_any(&ids)))
        .set(posts::version.eq(posts::version))
        .execute(conn)?;
    let rows: Vec<(String, i32)> = posts::table
        .filter(posts::tenant_id.eq(&t))
        .filter(posts::id.eq_any(&ids))
        .select((posts::id, posts::headcount))
        .load(conn)?;
    rows.into_iter().map(|(id, seats)| Ok((parse_id(&id)?, seats))).collect()
}

/// Each post must have a free seat for each claim: the claims are checked in order, each beside
/// the post's other tenures and the claims before it (a claim's own tenure, when it is an
/// update, is not one of the others). `headcounts` are those of `posts` (`lock_seats`).
pub fn check_free_seats(
    conn: &mut DbConn,
    tenant: TenantId,
    posts: &[Uuid],
    headcounts: &HashMap<Uuid, i32>,
    claims: &[SeatClaim],
) -> Result<(), Error> {
    let checked: HashSet<Uuid> = claims.iter().map(|claim| claim.tenure).collect();
    let mut periods = periods_of_posts(conn, tenant, posts)?;
    for others in periods.values_mut() {
        others.retain(|(id, _)| !checked.contains(id));
    }
    for claim in claims {
        let headcount = headcounts.get(&claim.post).copied().unwrap_or_default();
        let others = periods.entry(claim.post).or_default();
        let conflicting = seat_conflicts(others, claim.period, headcount.max(0) as usize);
        if !conflicting.is_empty() {
            let names: Vec<String> = conflicting.iter().map(Uuid::to_string).collect();
            return Err(Error::Conflict {
                detail: format!(
                    "the post has {headcount} seat(s) and is held at the same time by tenure(s) {}",
                    names.join(", ")
                ),
                conflicting,
            });
        }
        others.push((claim.tenure, claim.period));
    }
    Ok(())
}

/// Fewer seats must still seat every set of simultaneous holders.
pub fn check_holders_fit(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
    seats: i32,
) -> Result<(), Error> {
    let holders = periods_of_post(conn, tenant, id, None)?;
    for (i, (tenure, period)) in holders.iter().enumerate() {
        let mut others = holders.clone();
        others.remove(i);
        let conflicting = seat_conflicts(&others, *period, seats as usize);
        if !conflicting.is_empty() {
            let mut ids = vec![*tenure];
            ids.extend(conflicting);
            return Err(Error::Conflict {
                detail: format!(
                    "{} tenures hold the post at the same time, more than {seats} seat(s)",
                    ids.len()
                ),
                conflicting: ids,
            });
        }
    }
    Ok(())
}

/// Every tenure of a post with its period, except `except`.
fn periods_of_post(
    conn: &mut DbConn,
    tenant: TenantId,
    post: Uuid,
    except: Option<Uuid>,
) -> Result<Vec<(Uuid, Period)>, Error> {
    let mut periods = periods_of_posts(conn, tenant, &[post])?.remove(&post).unwrap_or_default();
    periods.retain(|(id, _)| Some(*id) != except);
    Ok(periods)
}

/// Every tenure of these posts with its period, by post.
fn periods_of_posts(
    conn: &mut DbConn,
    tenant: TenantId,
    posts: &[Uuid],
) -> Result<HashMap<Uuid, Vec<(Uuid, Period)>>, Error> {
    let ids: Vec<String> = posts.iter().map(Uuid::to_string).collect();
    let rows: Vec<(String, String, NaiveDate, Option<NaiveDate>)> = tenures::table
        .filter(tenures::tenant_id.eq(tenant))
        .filter(tenures::post_id.eq_any(ids))
        .select((tenures::id, tenures::post_id, tenures::started_on, tenures::ended_on))
        .load(conn)?;
    let mut by_post: HashMap<Uuid, Vec<(Uuid, Period)>> = HashMap::new();
    for (id, post, started_on, ended_on) in rows {
        by_post
            .entry(parse_id(&post)?)
            .or_default()
            .push((parse_id(&id)?, Period { started_on, ended_on }));
    }
    Ok(by_post)
}
