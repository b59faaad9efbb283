//! An account with one part brought up to date, for the kept accounts' patches
//! (`kept_accounts::patches`): each builds the part as `read_accounts` builds it from the rows.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDateTime;
use uuid::Uuid;

use super::{among, came_from, domain_link, AccountData, Careers};
use crate::domain::account::{AccountPost, Holder};
use crate::store::coverage::Coverage;
use crate::store::interactions::Met;
use crate::store::organizations::Organization;
use crate::store::relationships::Relationship;
use crate::store::tenures::Tenure;

impl AccountData {
    /// The account with these people's display names as they are now: of a person, an
    /// account reads nothing else (not their emails, phone or notes), so an update of one
    /// changes only this.
    pub(in crate::store) fn renamed(&self, names: &HashMap<Uuid, String>) -> AccountData {
        let mut data = self.clone();
        for (id, name) in &mut data.names {
            if let Some(now) = names.get(id) {
                name.clone_from(now);
            }
        }
        for holder in data.account.posts.iter_mut().flat_map(|p| &mut p.holders) {
            if let Some(now) = names.get(&holder.person_id) {
                holder.display_name.clone_from(now);
            }
        }
        data
    }

    /// The account with the crafting of these of its tenures as it is now: `crafted`, those of
    /// them with crafting in effect (`crafted_among`); `next_effective`, the first moment one
    /// of the others comes to have some. Of a tenure's crafting an account reads only whether
    /// there is some in effect, so a revision changes only this.
    pub(in crate::store) fn recrafted(
        &self,
        tenures: &HashSet<Uuid>,
        crafted: &HashSet<Uuid>,
        next_effective: Option<NaiveDateTime>,
    ) -> AccountData {
        let mut data = self.clone();
        for holder in data.account.posts.iter_mut().flat_map(|p| &mut p.holders) {
            if tenures.contains(&holder.tenure_id) {
                holder.crafting_recorded = crafted.contains(&holder.tenure_id);
            }
        }
        // One that came earlier stays: the account is read again then, which is only work.
        data.next_effective = self.next_effective.into_iter().chain(next_effective).min();
        data
    }

    /// The account with these of its current tenures (by id) as they are now, each held by
    /// the same person on the same post over the same period as the account has it
    /// (`Tenure::same_place`). Beyond where and when, an account reads of a tenure its buying roles
    /// alone, so a CRM's update of a stakeholder's roles changes only these.
    pub(in crate::store) fn reassigned(&self, tenures: &HashMap<Uuid, Tenure>) -> AccountData {
        let mut data = self.clone();
        for tenure in &mut data.tenures {
            if let Some(now) = tenures.get(&tenure.id) {
                tenure.clone_from(now);
            }
        }
        for holder in data.account.posts.iter_mut().flat_map(|p| &mut p.holders) {
            if let Some(now) = tenures.get(&holder.tenure_id) {
                holder.buying_roles.clone_from(&now.buying_roles);
            }
        }
        data
    }

    /// The account with these of its posts (by id) as they are now, each in the same
    /// organization and existing today as the account has it: of a post, beyond where it is
    /// and whether it exists, an account reads its title, reporting line and headcount, so a
    /// CRM's update of one changes only these.
    pub(in crate::store) fn revised(&self, posts: &HashMap<Uuid, AccountPost>) -> AccountData {
        let mut data = self.clone();
        for post in &mut data.account.posts {
            if let Some(now) = posts.get(&post.id) {
                post.title.clone_from(&now.title);
                post.reports_to = now.reports_to;
                post.headcount = now.headcount;
            }
        }
        data
    }

    /// The account with these of its organizations (by id) as they are now, each under the
    /// same parent and of the same kind as the account has it: of an organization, beyond
    /// where it is, an account reads its name and profile, so a CRM's update of one changes
    /// only these.
    pub(in crate::store) fn reorganized(
        &self,
        organizations: &HashMap<Uuid, Organization>,
    ) -> AccountData {
        let mut data = self.clone();
        for organization in data.organizations.iter_mut().chain([&mut data.root]) {
            if let Some(now) = organizations.get(&organization.id) {
                // The root is read with its external ids (`organizations::find`), the others
                // without, as `now` is.
                let external_refs = organization.external_refs.take();
                organization.clone_from(now);
                organization.external_refs = external_refs;
            }
        }
        data
    }

    /// The account with these new posts of its organizations, existing today, without
    /// holders yet (a new tenure of one arrives after it in the feed).
    pub(in crate::store) fn established(&self, posts: &[AccountPost]) -> AccountData {
        let mut data = self.clone();
        let mut footprint = (*self.footprint).clone();
        data.account.posts.extend(posts.iter().cloned());
        // As read: by id.
        data.account.posts.sort_by_key(|p| p.id);
        footprint.extend(posts.iter().map(|p| p.id));
        data.footprint = Arc::new(footprint);
        data
    }

    /// The account with these new current tenures of its posts, each of a person it has not
    /// read (`names`, theirs now; `careers`, as recorded now, for where a newcomer came from):
    /// their holders added without crafting or links, which the patches for the holders'
    /// crafting, links and relationships then bring in (`kept_accounts::patches`).
    pub(in crate::store) fn arrived(
        &self,
        tenures: &[Tenure],
        names: &HashMap<Uuid, String>,
        careers: &Careers,
    ) -> AccountData {
        let mut data = self.clone();
        let mut footprint = (*self.footprint).clone();
        let organizations: Vec<Uuid> = self.organizations.iter().map(|o| o.id).collect();
        let newcomers: Vec<&Tenure> = tenures
            .iter()
            .filter(|t| (self.day - t.period.started_on).num_days() < self.settings.new_holder_days)
            .collect();
        let arrivals = came_from(careers, &newcomers, &organizations);
        for tenure in tenures {
            let person = tenure.person_id;
            let Some(post) = data.account.posts.iter_mut().find(|p| p.id == tenure.post_id) else {
                continue;
            };
            post.holders.push(Holder {
                tenure_id: tenure.id,
                person_id: person,
                display_name: names.get(&person).cloned().unwrap_or_default(),
                started_on: tenure.period.started_on,
                buying_roles: tenure.buying_roles.clone(),
                crafting_recorded: false,
                came_from: arrivals.get(&tenure.id).cloned(),
            });
            // As read: in start order.
            post.holders.sort_by_key(|h| (h.started_on, h.tenure_id));
            data.tenures.push(tenure.clone());
            if let Some(name) = names.get(&person) {
                data.names.insert(person, name.clone());
            }
            footprint.extend([tenure.id, person]);
            if newcomers.iter().any(|t| t.id == tenure.id) {
                footprint.extend(careers.of(person).iter().flat_map(|t| [t.id, t.post_id]));
            }
        }
        data.tenures.sort_by_key(|t| (t.period.started_on, t.id));
        data.footprint = Arc::new(footprint);
        data
    }

    /// The account with the coverage links of these of its people as they are now, read at
    /// `now`: `links`, every link of theirs, with the interactions of each pair (`met`) and the
    /// salespeople's names.
    pub(in crate::store) fn relinked(
        &self,
        people: &HashSet<Uuid>,
        links: &[&Coverage],
        met: &HashMap<(Uuid, Uuid), Met>,
        names: &HashMap<Uuid, String>,
        now: NaiveDateTime,
    ) -> AccountData {
        let mut data = self.clone();
        let mut footprint = (*self.footprint).clone();
        for link in data.account.links.iter().filter(|l| people.contains(&l.stakeholder_id)) {
            data.stated.remove(&link.id);
            data.touches.remove(&link.id);
        }
        data.account.links.retain(|l| !people.contains(&l.stakeholder_id));
        for link in links {
            let salesperson = link.fields.salesperson_id;
            let met = met.get(&(salesperson, link.fields.stakeholder_id));
            let times = met.map_or(&[][..], |met| met.times.as_slice());
            if link.fields.strength.is_some() {
                data.stated.insert(link.id);
            }
            if !times.is_empty() {
                data.touches.insert(link.id, times.to_vec());
            }
            data.account.links.push(domain_link(link, times, now, &self.settings));
            if let Some(name) = names.get(&salesperson) {
                data.names.insert(salesperson, name.clone());
            }
            footprint.extend([link.id, salesperson]);
            footprint.extend(met.map_or(&[][..], |met| met.ids.as_slice()).iter().copied());
        }
        // As read: by stakeholder, then by id.
        data.account.links.sort_by_key(|l| (l.stakeholder_id, l.id));
        data.footprint = Arc::new(footprint);
        data
    }

    /// The account with the relationships of these of its stakeholders as they are now:
    /// `relationships`, every one touching them valid today, once each, with the names of the
    /// people at their ends.
    pub(in crate::store) fn related(
        &self,
        stakeholders: &HashSet<Uuid>,
        relationships: &[&Relationship],
        names: &HashMap<Uuid, String>,
    ) -> AccountData {
        let mut data = self.clone();
        let mut footprint = (*self.footprint).clone();
        let theirs = |r: &Relationship| {
            stakeholders.contains(&r.fields.from_person_id)
                || stakeholders.contains(&r.fields.to_person_id)
        };
        data.relationships.retain(|r| !theirs(r));
        for relationship in relationships {
            let ends = [relationship.fields.from_person_id, relationship.fields.to_person_id];
            for end in ends {
                if let Some(name) = names.get(&end) {
                    data.names.insert(end, name.clone());
                }
            }
            footprint.extend(ends);
            footprint.insert(relationship.id);
            data.relationships.push((*relationship).clone());
        }
        // As read: by id.
        data.relationships.sort_by_key(|r| r.id);
        let all: HashSet<Uuid> = self.stakeholders().into_iter().collect();
        data.account.relationships = among(&data.relationships, &all);
        data.footprint = Arc::new(footprint);
        data
    }
}
