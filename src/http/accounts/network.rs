//! The account as a graph a front end can draw as it comes: nodes and edges.

use std::collections::HashSet;

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use uuid::Uuid;

use crate::api::accounts::AccountRef;
use crate::domain::account::influences;
use crate::domain::api_key::Scope;
use crate::domain::coverage::{BuyingRole, CoverageRole, RelationshipKind};
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::read_lagging;
use crate::store::accounts::{self, AccountData};
use crate::store::{now_point, Db};

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeType {
    Organization,
    Post,
    /// A person holding an account post now.
    Stakeholder,
    /// A salesperson covering someone in the account.
    Salesperson,
    /// Someone outside the account with a relationship to a stakeholder.
    Contact,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NetworkNode {
    /// The organization's, post's or person's id.
    pub id: Uuid,
    #[serde(rename = "type")]
    pub node_type: NodeType,
    pub label: String,
    /// Posts: whether a seat is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vacant: Option<bool>,
    /// Stakeholders: share of the account's influence (sums to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub influence: Option<f64>,
    /// Stakeholders: their network centrality, before the buying-role factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub centrality: Option<f64>,
    /// Stakeholders: the buying-role factor applied to their centrality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_factor: Option<f64>,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EdgeType {
    /// Organization → parent organization, or post → organization.
    PartOf,
    /// Post → the post it reports to.
    ReportsTo,
    /// Person → post they hold now (the tenure).
    Holds,
    /// Person → person, observed.
    Relationship,
    /// Salesperson → stakeholder.
    Covers,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NetworkEdge {
    #[serde(rename = "type")]
    pub edge_type: EdgeType,
    pub source: Uuid,
    pub target: Uuid,
    /// `holds`: the tenure; `relationship`: the relationship; `covers`: the coverage link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buying_roles: Option<Vec<BuyingRole>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<RelationshipKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<CoverageRole>,
    /// `relationship` and `covers`: 0 to 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strength: Option<f64>,
}

impl NetworkEdge {
    fn new(edge_type: EdgeType, source: Uuid, target: Uuid) -> Self {
        NetworkEdge {
            edge_type,
            source,
            target,
            id: None,
            buying_roles: None,
            kind: None,
            role: None,
            strength: None,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NetworkResponse {
    pub account: AccountRef,
    pub nodes: Vec<NetworkNode>,
    pub edges: Vec<NetworkEdge>,
}

fn node(id: Uuid, node_type: NodeType, label: String) -> NetworkNode {
    NetworkNode {
        id,
        node_type,
        label,
        vacant: None,
        influence: None,
        centrality: None,
        role_factor: None,
    }
}

fn graph(data: &AccountData) -> NetworkResponse {
    let influence = influences(&data.account, &data.settings);
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for organization in &data.organizations {
        nodes.push(node(organization.id, NodeType::Organization, organization.name.clone()));
        if let Some(parent) = organization.parent_id.filter(|_| organization.id != data.root.id) {
            edges.push(NetworkEdge::new(EdgeType::PartOf, organization.id, parent));
        }
    }
    // People already drawn: each person is one node whatever their roles.
    let mut people: HashSet<Uuid> = HashSet::new();
    for post in &data.account.posts {
        nodes.push(NetworkNode {
            vacant: Some((post.holders.len() as u32) < post.headcount),
            ..node(post.id, NodeType::Post, post.title.clone())
        });
        edges.push(NetworkEdge::new(EdgeType::PartOf, post.id, post.organization_id));
        if let Some(manager) = post.reports_to {
            edges.push(NetworkEdge::new(EdgeType::ReportsTo, post.id, manager));
        }
        for holder in &post.holders {
            edges.push(NetworkEdge {
                id: Some(holder.tenure_id),
                buying_roles: Some(holder.buying_roles.clone()),
                ..NetworkEdge::new(EdgeType::Holds, holder.person_id, post.id)
            });
            if people.insert(holder.person_id) {
                let i = influence.get(&holder.person_id);
                nodes.push(NetworkNode {
                    influence: i.map(|i| i.influence),
                    centrality: i.map(|i| i.centrality),
                    role_factor: i.map(|i| i.role_factor),
                    ..node(holder.person_id, NodeType::Stakeholder, holder.display_name.clone())
                });
            }
        }
    }
    let name = |id: &Uuid| data.names.get(id).cloned().unwrap_or_default();
    let stakeholders = people.clone();
    for link in data.account.links.iter().filter(|l| stakeholders.contains(&l.stakeholder_id)) {
        if people.insert(link.salesperson_id) {
            nodes.push(node(
                link.salesperson_id,
                NodeType::Salesperson,
                name(&link.salesperson_id),
            ));
        }
        edges.push(NetworkEdge {
            id: Some(link.id),
            role: Some(link.role),
            strength: Some(link.strength),
            ..NetworkEdge::new(EdgeType::Covers, link.salesperson_id, link.stakeholder_id)
        });
    }
    for r in &data.relationships {
        for end in [r.fields.from_person_id, r.fields.to_person_id] {
            if people.insert(end) {
                nodes.push(node(end, NodeType::Contact, name(&end)));
            }
        }
        edges.push(NetworkEdge {
            id: Some(r.id),
            kind: Some(r.fields.kind),
            strength: Some(r.fields.strength),
            ..NetworkEdge::new(
                EdgeType::Relationship,
                r.fields.from_person_id,
                r.fields.to_person_id,
            )
        });
    }
    NetworkResponse { account: AccountRef::of(data), nodes, edges }
}

/// The account as a graph: organizations, posts (vacant ones too), current holders with
/// their influence, formal reporting lines, relationships, buying roles and coverage.
#[utoipa::path(tag = "accounts", params(("id" = Uuid, Path, description = "A client organization: the account")), responses((status = 200, body = NetworkResponse)))]
#[get("/v1/accounts/{id}/network")]
pub async fn account_network(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Read)?;
    let id = id.into_inner();
    let data = read_lagging(&db, principal.key_id, move |c| {
        accounts::load(c, principal.tenant_id, id, now_point())
    })
    .await?;
    Ok(HttpResponse::Ok().json(graph(&data)))
}
