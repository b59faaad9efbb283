//! The OpenAPI 3.1 document, collected from the handlers' annotations.

use actix_web::App;
use utoipa::openapi::path::{HttpMethod, Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::Required;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};
use utoipa_actix_web::AppExt;

use crate::error::FieldError;
use crate::http::problem::{Problem, CONTENT_TYPE};

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
                }
            }
        }
    }
    api
}

/// Whether a parameter names a resource by id (`organization_id=`, `person_id=`): one that
/// is not there is a 404, as in a path.
fn names_an_id(operation: &Operation) -> bool {
    operation.parameters.iter().flatten().any(|p| p.name.ends_with("_id") || p.name == "id")
}

/// Headers every write understands: the origin for the change feed, and on `POST` an
/// idempotency key.
fn add_write_headers(operation: &mut Operation, method: &HttpMethod) {
    if matches!(method, HttpMethod::Get) {
        return;
    }
    let header = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).max_length(Some(255))))
            .build()
    };
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    parameters.push(header(
        crate::http::auth::ORIGIN_HEADER,
        "The system this write comes from (a-z, 0-9, _, -, .), e.g. `salesforce`: the change \
         feed reports it as the change's origin; default the API key's name",
    ));
    if matches!(method, HttpMethod::Post) {
        parameters.push(header(
            crate::http::idempotency::HEADER,
            "Up to 255 characters: a replay with the same key and body gets the stored \
             response without a second write; another body is a 422, a replay while the first \
             runs a 409. Kept 48 hours per tenant.",
        ));
    }
}

fn add_problem_responses(operation: &mut Operation, method: &HttpMethod, has_id: bool) {
    let writes = !matches!(method, HttpMethod::Get);
    let mut statuses = vec![
        ("400", "Malformed request: bad JSON, a wrong type, an unknown field or parameter"),
        ("401", "No API key, or not a valid one"),
        ("403", "The API key lacks the scope this operation needs"),
        ("422", "Well-formed but invalid: `errors` names each field"),
        (
            "429",
            "The API key spent its rate limit: `Retry-After` says in how many seconds to retry \
             (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` come with every \
             answer to a limited key)",
        ),
        ("500", "Internal error (logged with the `instance` id)"),
        ("503", "The database is unavailable; retry later"),
    ];
    if has_id {
        statuses.push(("404", "No such resource in this tenant"));
    }
    if writes {
        statuses.push(("409", "Conflicts with the current state"));
        statuses.push(("413", "The request body is too large"));
        statuses.push(("415", "The request body is not JSON"));
    }
    if matches!(method, HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete) {
        statuses.push(("412", "`If-Match` does not match the current ETag"));
    }
    for (status, description) in statuses {
        operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    CONTENT_TYPE,
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                )
                .build()
                .into()
        });
    }
}
