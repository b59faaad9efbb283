//! The OpenAPI 3.1 document, collected from the handlers' annotations.

use actix_web::App;
use utoipa::openapi::path::{HttpMethod, Operation, ParameterIn};
use utoipa::openapi::schema::{AnyOfBuilder, ArrayItems, ObjectBuilder, Schema, Type};
use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, Ref, RefOr};
use utoipa::{Modify, OpenApi as _};
use utoipa_actix_web::AppExt;

mod headers;

use headers::{add_problem_responses, add_response_headers, add_write_headers, names_an_id};

use crate::api::problem::Problem;
use crate::error::FieldError;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "jobcraft",
        description = "Keeps the post (the formal job), the person and the crafted job (how the \
                       holder actually does it) apart, for CRMs and the sales managers using them.\n\n\
                       Limits (each answered with a problem naming it): request bodies 1 MiB \
                       (413; `POST /v1/sync/batch` 16 MiB and 1 to 1,000 operations); pages 1 to \
                       500 rows (the change feed 1 to 1,000); 200 facets per revision or post; \
                       names and titles 200 characters, notes 10,000, facet notes 1,000, \
                       external ids 255 (20 per entity); `Idempotency-Key` 255 characters; \
                       each API key 100 requests/s in bursts of 200 by default (429 with \
                       `Retry-After`; the operator sets others per tenant); every date and \
                       time in the years 1900 to 9999 (UTC; 400 naming the field). Every schema \
                       below states its own bounds."
    ),
    servers((url = "http://127.0.0.1:8080", description = "`jobcraft serve` with its defaults")),
    security(("api_key" = [])),
    modifiers(&BearerKey),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "organizations", description = "The seller's units, clients and partners"),
        (name = "persons", description = "People, apart from the posts they hold"),
        (name = "posts", description = "Formal jobs, which outlive their holders"),
        (name = "tenures", description = "A person holding a post for a period"),
        (name = "vocabulary", description = "The keys facets may use, per dimension"),
        (name = "crafted jobs", description = "How holders actually do their posts, and the diffs"),
        (name = "network", description = "Relationships between persons"),
        (name = "coverage", description = "Salespeople covering stakeholders, and their interactions"),
        (name = "accounts", description = "Account networks, coverage reports and suggestions"),
        (name = "growth", description = "Readiness for a next post, development plans, crafting questionnaires, and the team's crafting against its accounts' demand"),
        (name = "settings", description = "Affinity rules and coverage settings of the tenant"),
        (name = "sync", description = "The change feed, external ids and upserts for CRMs"),
        (name = "operations", description = "Health, readiness and the audit log"),
    )
)]
struct ApiDoc;

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "api_key",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some("An API key: `Authorization: Bearer jc_…`"))
                        .build(),
                ),
            );
        }
    }
}

/// The whole document: routes from `http::routes`, plus the problem responses every
/// operation can give, added here once instead of on every handler.
pub fn document() -> OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::http::routes)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    for (path, item) in api.paths.paths.iter_mut() {
        let public = path == "/healthz" || path == "/readyz";
        for (method, operation) in [
            (HttpMethod::Get, item.get.as_mut()),
            (HttpMethod::Post, item.post.as_mut()),
            (HttpMethod::Put, item.put.as_mut()),
            (HttpMethod::Patch, item.patch.as_mut()),
            (HttpMethod::Delete, item.delete.as_mut()),
        ] {
            if let Some(operation) = operation {
                if !public {
                    let names_ids = path.contains('{') || names_an_id(operation);
                    add_problem_responses(operation, &method, names_ids);
                    add_write_headers(operation, &method);
                    add_response_headers(operation, &method);
                }
                type_time_parameters(operation);
                if path.starts_with("/v1/sync/{entity}/") {
                    constrain_sync_path(operation);
                }
            }
        }
    }
    reference_page_items(&mut api);
    open_all_of_parts(&mut api);
    add_request_examples(&mut api);
    api
}

/// Ids in the examples: Acme (a client), its head of procurement's post, Nina,
/// and Carla, a salesperson of the seller.
const ACME: &str = "01938c4e-7a1b-7cc0-8a2e-5f0d3b6c9e41";
const PROCUREMENT_HEAD: &str = "01938c4e-7a1b-7cc0-8a2e-5f0d3b6c9e42";
const NINA: &str = "01938c4e-7a1b-7cc0-8a2e-5f0d3b6c9e43";
const CARLA: &str = "01938c4e-7a1b-7cc0-8a2e-5f0d3b6c9e45";

/// A realistic request body for every operation that takes one, from the demo story (see the
/// README's "Demo tour"), so "Try it out" in `/docs` starts from something that makes sense.
fn request_example(method: &HttpMethod, path: &str) -> Option<serde_json::Value> {
    use serde_json::json;
    let patch = matches!(method, HttpMethod::Patch);
    Some(match path {
        "/v1/organizations" | "/v1/organizations/{id}" if patch => json!({"parent_id": null}),
        "/v1/organizations" | "/v1/organizations/{id}" => json!({
            "name": "Acme Insurance", "kind": "client",
            "profile": {"size_band": "enterprise", "industry": "insurance", "region": "dach",
                        "tags": ["iso14001"]},
            "external_refs": [{"source": "salesforce", "external_id": "001A000001"}]}),
        "/v1/persons" | "/v1/persons/{id}" if patch => json!({"phone": "+49 30 5550 1234"}),
        "/v1/persons" | "/v1/persons/{id}" => json!({
            "display_name": "Nina Berger", "emails": ["nina.berger@acme.example"],
            "external_refs": [{"source": "salesforce", "external_id": "003A000042"}]}),
        "/v1/posts" | "/v1/posts/{id}" if patch => json!({"headcount": 2}),
        "/v1/posts" | "/v1/posts/{id}" => json!({
            "organization_id": ACME, "title": "Head of Procurement", "function": "procurement",
            "facets": [
                {"dimension": "task", "key": "supplier_audits", "weight": 0.6, "core": true,
                 "floor": 0.3},
                {"dimension": "priority", "key": "cost_reduction", "weight": 0.8}]}),
        "/v1/tenures" | "/v1/tenures/{id}" if patch => json!({"ended_on": "2026-11-30"}),
        "/v1/tenures" | "/v1/tenures/{id}" => json!({
            "person_id": NINA, "post_id": PROCUREMENT_HEAD, "started_on": "2026-07-01",
            "buying_roles": ["economic_buyer"]}),
        "/v1/tenures/{id}/crafting" => json!({
            "source": "QBR 2026-11-03", "confidence": 0.8, "effective_at": "2026-09-01T00:00:00Z",
            "facets": [
                {"dimension": "decision_criterion", "key": "carbon_footprint", "weight": 0.9},
                {"dimension": "task", "key": "supplier_audits", "weight": 0.1}]}),
        "/v1/relationships" | "/v1/relationships/{id}" if patch => json!({"strength": 0.7}),
        "/v1/relationships" | "/v1/relationships/{id}" => json!({
            "from_person_id": NINA, "to_person_id": CARLA, "kind": "allies_with",
            "strength": 0.6, "valid_from": "2026-09-15"}),
        "/v1/coverage" | "/v1/coverage/{id}" if patch => json!({"strength": 0.5}),
        "/v1/coverage" | "/v1/coverage/{id}" => json!({
            "salesperson_id": CARLA, "stakeholder_id": NINA, "role": "primary"}),
        "/v1/interactions" => json!({
            "salesperson_id": CARLA, "stakeholder_id": NINA, "kind": "meeting",
            "occurred_at": "2026-11-03T10:00:00Z", "summary": "QBR: carbon reporting"}),
        "/v1/vocabulary" => json!({
            "dimension": "partner_preference", "key": "b_corp_certified",
            "label": "B Corp certified", "description": "Prefers certified B Corporations"}),
        "/v1/affinities" => json!({
            "from": {"dimension": "cognitive", "key": "sustainability_champion"},
            "to": {"dimension": "decision_criterion", "key": "carbon_footprint"},
            "weight": 0.9}),
        "/v1/settings/coverage" => {
            json!({"interaction_half_life_days": 60, "stale_after_days": 90})
        }
        "/v1/accounts/{id}/suggestions" => json!({"coverers": 2}),
        "/v1/accounts/{id}/suggestions/apply" => json!({
            "pairs": [{"salesperson_id": CARLA, "stakeholder_id": NINA, "role": "primary"}]}),
        "/v1/webhooks" => json!({
            "url": "https://crm.example.com/hooks/jobcraft", "entities": ["person", "tenure"]}),
        "/v1/webhooks/{id}" => json!({"active": false}),
        "/v1/sync/batch" => json!({"mode": "atomic", "operations": [
            {"op": "upsert", "entity": "persons", "source": "salesforce",
             "external_id": "003A000042", "body": {"display_name": "Nina Berger"}},
            {"op": "upsert", "entity": "tenures", "source": "salesforce",
             "external_id": "T-0042", "body": {"person_id": {"source": "salesforce",
             "external_id": "003A000042"}, "post_id": PROCUREMENT_HEAD,
             "started_on": "2026-07-01"}}]}),
        "/v1/sync/{entity}/{source}/{external_id}" => json!({"display_name": "Nina Berger"}),
        _ => return None,
    })
}

fn add_request_examples(api: &mut OpenApi) {
    for (path, item) in api.paths.paths.iter_mut() {
        for (method, operation) in [
            (HttpMethod::Post, item.post.as_mut()),
            (HttpMethod::Put, item.put.as_mut()),
            (HttpMethod::Patch, item.patch.as_mut()),
        ] {
            let Some(body) = operation.and_then(|o| o.request_body.as_mut()) else { continue };
            let Some(example) = request_example(&method, path) else { continue };
            for content in body.content.values_mut() {
                content.example = Some(example.clone());
            }
        }
    }
}

/// A response that flattens a request (`#[serde(flatten)]`) becomes an `allOf` with the
/// request's schema, which is closed (`additionalProperties: false`, from
/// `deny_unknown_fields`): no value could match both parts. Within an `allOf` the parts stay
/// open; the closed request schemas themselves are unchanged.
fn open_all_of_parts(api: &mut OpenApi) {
    let Some(components) = api.components.as_mut() else { return };
    for schema in components.schemas.values_mut() {
        if let RefOr::T(Schema::AllOf(all_of)) = schema {
            for part in &mut all_of.items {
                if let RefOr::T(Schema::Object(object)) = part {
                    object.additional_properties = None;
                }
            }
        }
    }
}

/// utoipa 5 composes a generic schema from its arguments' full schemas, so `Page<T>` would
/// carry an inlined copy of `T`: clients would get one anonymous item type per list. The item
/// is made a reference to `T`'s own schema (which utoipa registers alongside the page).
fn reference_page_items(api: &mut OpenApi) {
    let Some(components) = api.components.as_mut() else { return };
    let pages: Vec<(String, String)> = components
        .schemas
        .keys()
        .filter_map(|name| Some((name.clone(), name.strip_prefix("Page_")?.to_owned())))
        .filter(|(_, item)| components.schemas.contains_key(item))
        .collect();
    for (page, item) in pages {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&page) {
            if let Some(RefOr::T(Schema::Array(items))) = object.properties.get_mut("items") {
                items.items = ArrayItems::RefOrSchema(Box::new(Ref::from_schema_name(item).into()));
            }
        }
    }
}

/// Times in a query (`as_of`, `known_at`, `since`, `until`) are an RFC 3339 time or a date
/// (its end, UTC); a diff's `from` and `to` may also be a crafting revision's id. The handlers
/// parse them as text (`Moment`), so their schemas are written here.
fn type_time_parameters(operation: &mut Operation) {
    let string = |format| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    for parameter in operation.parameters.iter_mut().flatten() {
        let or_revision = match parameter.name.as_str() {
            "as_of" | "known_at" | "since" | "until" => false,
            "from" | "to" => true,
            _ => continue,
        };
        let untyped = matches!(
            &parameter.schema,
            Some(RefOr::T(Schema::Object(object))) if object.format.is_none()
        );
        if !matches!(parameter.parameter_in, ParameterIn::Query) || !untyped {
            continue;
        }
        let mut any_of =
            AnyOfBuilder::new().item(string(KnownFormat::DateTime)).item(string(KnownFormat::Date));
        if or_revision {
            any_of = any_of.item(string(KnownFormat::Uuid));
        }
        parameter.schema = Some(any_of.into());
    }
}

/// The sync path's segments as schema keywords: the entity types it knows, a system name.
fn constrain_sync_path(operation: &mut Operation) {
    for parameter in operation.parameters.iter_mut().flatten() {
        let schema = match parameter.name.as_str() {
            "entity" => ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(crate::domain::sync::Entity::SYNCED)),
            "source" => system_name(),
            "external_id" => ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(crate::domain::sync::EXTERNAL_ID_MAX))
                .examples(["0035e00000AbCdEAAZ"]),
            _ => continue,
        };
        parameter.schema = Some(schema.into());
    }
}

/// A system name, as `source` and `X-Jobcraft-Origin` take it.
pub(super) fn system_name() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(100))
        .pattern(Some("^[a-z0-9_.-]+$"))
        .examples(["salesforce"])
}
