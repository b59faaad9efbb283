//! What every operation of the document answers besides its own body: problem responses by
//! status, and the headers of writes (`If-Match`, `Idempotency-Key`, `X-Jobcraft-Origin`) and
//! of answers (`ETag`, `Location`, rate limits).

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::openapi::{Required, Response};

use crate::api::problem::CONTENT_TYPE;
use crate::http::openapi::system_name;

/// The headers answers carry: `ETag` on a single resource (what `If-Match` takes), `Location`
/// on a creation, `Idempotent-Replayed` on a replayed `POST`.
pub(super) fn add_response_headers(operation: &mut Operation, method: &HttpMethod) {
    let id = operation.operation_id.clone().unwrap_or_default();
    // Crafted jobs are computed and revisions immutable: neither has a version.
    let single = ["find_", "replace_", "update_", "create_"].iter().any(|p| id.starts_with(p))
        && id != "find_crafted_job"
        || id.ends_with("_synced");
    // A vocabulary key has no resource of its own to point at.
    let located = id != "add_vocabulary_key";
    let text = |description: &str, example: &str| {
        HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String).examples([example]))
            .description(Some(description))
            .build()
    };
    let summary = operation.summary.clone().unwrap_or_default();
    for (status, response) in operation.responses.responses.iter_mut() {
        let RefOr::T(response) = response else { continue };
        if !status.starts_with('2') {
            continue;
        }
        if response.description.is_empty() {
            response.description = match status.as_str() {
                "201" => format!("Created. {summary}"),
                "204" => format!("Done; no content. {summary}"),
                _ => format!("OK. {summary}"),
            };
        }
        let with = |response: &mut Response, name: &str, header| {
            response.headers.insert(name.to_owned(), header);
        };
        for (name, description) in [
            ("RateLimit-Limit", "Requests the API key may make at once (its bucket)"),
            ("RateLimit-Remaining", "Requests left in the bucket now"),
            ("RateLimit-Reset", "Seconds until the bucket is full again"),
        ] {
            let count = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0));
            with(
                response,
                name,
                HeaderBuilder::new().schema(count).description(Some(description)).build(),
            );
        }
        if status == "204" {
            continue;
        }
        if single {
            with(
                response,
                "ETag",
                text("The resource's version, for `If-Match`: `\"<version>\"`", "\"3\""),
            );
        }
        if status == "201" && located {
            with(
                response,
                "Location",
                text(
                    "Where the new resource is",
                    "/v1/persons/01938c4e-7a1b-7cc0-8a2e-5f0d3b6c9e41",
                ),
            );
        }
        if matches!(method, HttpMethod::Post) {
            with(
                response,
                crate::http::idempotency::REPLAYED,
                text(
                    "`true` when this is the stored answer to an earlier request with the same \
                     `Idempotency-Key`",
                    "true",
                ),
            );
        }
    }
}

/// Whether a parameter names a resource by id (`organization_id=`, `person_id=`): one that
/// is not there is a 404, as in a path.
pub(super) fn names_an_id(operation: &Operation) -> bool {
    operation.parameters.iter().flatten().any(|p| p.name.ends_with("_id") || p.name == "id")
}

/// Headers every write understands: the origin for the change feed, and on `POST` an
/// idempotency key.
pub(super) fn add_write_headers(operation: &mut Operation, method: &HttpMethod) {
    if matches!(method, HttpMethod::Get) {
        return;
    }
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    parameters.push(header(
        crate::http::auth::ORIGIN_HEADER,
        "The system this write comes from (a-z, 0-9, _, -, .), e.g. `salesforce`: the change \
         feed reports it as the change's origin; default the API key's name",
        system_name(),
    ));
    if matches!(method, HttpMethod::Post) {
        parameters.push(header(
            crate::http::idempotency::HEADER,
            "Up to 255 characters: a replay with the same key and body gets the stored \
             response without a second write; another body is a 422, a replay while the first \
             runs a 409. Kept for the tenant's window (`idempotency_hours` of \
             `/v1/settings/retention`, 48 hours by default).",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[ -~]+$"))
                .examples(["import-2026-11-22"]),
        ));
    }
    if matches!(method, HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete) {
        parameters.push(header(
            "If-Match",
            "Only if the resource still has this ETag (RFC 9110): otherwise 412, nothing written",
            ObjectBuilder::new().schema_type(Type::String).examples(["\"3\""]),
        ));
    }
}

pub(super) fn header(name: &str, description: &str, schema: ObjectBuilder) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

pub(super) fn add_problem_responses(operation: &mut Operation, method: &HttpMethod, has_id: bool) {
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
        statuses.push(("408", "The request body did not arrive within the client timeout"));
        statuses.push(("409", "Conflicts with the current state"));
        statuses.push(("413", "The request body is too large"));
        statuses.push(("415", "The request body is not JSON"));
    }
    if matches!(method, HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete) {
        statuses.push(("412", "`If-Match` does not match the current ETag"));
    }
    for (status, description) in statuses {
        operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
            let mut response = ResponseBuilder::new().description(description);
            if status == "429" || status == "503" {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)))
                        .description(Some("Seconds to wait before retrying"))
                        .build(),
                );
            }
            response
                .content(
                    CONTENT_TYPE,
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                )
                .build()
                .into()
        });
    }
}
