//! The REST life of an entity clients write, once for all six: each route keeps a small
//! handler of its own (its doc line and `#[utoipa::path]` are the document's) that extracts
//! what the request carries and calls one of these.

use actix_web::HttpResponse;
use serde_json::Value;
use uuid::Uuid;

use crate::api::json::merge_into;
use crate::api::Wire;
use crate::domain::api_key::Scope;
use crate::domain::tenant::TenantId;
use crate::error::Error;
use crate::http::auth::Principal;
use crate::http::pagination::page;
use crate::http::respond::{created, deleted, ok};
use crate::http::{read, write};
use crate::store::resource;
use crate::store::{Db, DbConn, Expected, PageRequest};

/// A page of the entities, in id order. The caller has checked the read scope (before it
/// read the filter and the page from the query, as every route does).
pub async fn list<R: Wire>(
    db: &Db,
    principal: Principal,
    filter: R::Filter,
    request: PageRequest<Uuid>,
) -> Result<HttpResponse, Error> {
    let tenant = principal.tenant_id;
    let (rows, more) = read(db, move |c| {
        let (found, more) = R::list(c, tenant, filter, request)?;
        let ids: Vec<Uuid> = found.iter().map(|stored| R::key(stored).0).collect();
        Ok((ids.into_iter().zip(R::views(c, tenant, found)?).collect::<Vec<_>>(), more))
    })
    .await?;
    Ok(HttpResponse::Ok().json(page(rows, more, |(id, _)| *id, |(_, v)| R::Response::from(v))))
}

/// 201 with the new entity.
pub async fn create<R: Wire>(
    db: &Db,
    principal: Principal,
    body: R::Request,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let ((new, refs), tenant) = (R::parse(body)?, principal.tenant_id);
    let (id, version, view) = write(db, principal.actor(), move |c| {
        let stored = resource::create::<R>(c, tenant, &new, &refs)?;
        resource::view::<R>(c, tenant, stored)
    })
    .await?;
    Ok(created(R::COLLECTION, id, version, R::Response::from(view)))
}

pub async fn find<R: Wire>(db: &Db, principal: Principal, id: Uuid) -> Result<HttpResponse, Error> {
    find_by::<R, _>(db, principal, move |c, tenant| R::find(c, tenant, id)).await
}

/// 200 with the entity `read_it` finds (as of a time, say) and its ETag.
pub async fn find_by<R: Wire, F>(
    db: &Db,
    principal: Principal,
    read_it: F,
) -> Result<HttpResponse, Error>
where
    F: FnMut(&mut DbConn, TenantId) -> Result<R::Stored, Error> + Send + 'static,
{
    principal.require(Scope::Read)?;
    answer::<R, _>(db, principal, Access::Read, read_it).await
}

pub async fn replace<R: Wire>(
    db: &Db,
    principal: Principal,
    id: Uuid,
    expected: Expected,
    body: R::Request,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let (new, refs) = R::parse(body)?;
    answer::<R, _>(db, principal, Access::Write, move |c, tenant| {
        resource::replace::<R>(c, tenant, id, &expected, &new, &refs)
    })
    .await
}

/// A JSON merge patch (RFC 7396) of the entity as written, checked exactly like a `PUT`.
pub async fn patch<R: Wire>(
    db: &Db,
    principal: Principal,
    id: Uuid,
    expected: Expected,
    patch: Value,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    answer::<R, _>(db, principal, Access::Write, move |c, tenant| {
        let merge = |base: R::New| R::parse(merge_into(R::request(&base), &patch)?);
        resource::patch::<R>(c, tenant, id, &expected, merge)
    })
    .await
}

/// Whether `answer` reads or writes.
enum Access {
    Read,
    Write,
}

/// 200 with the entity `work` reads or leaves, and its ETag. The caller has checked the scope
/// (before it read the body or the query, as every route does).
async fn answer<R: Wire, F>(
    db: &Db,
    principal: Principal,
    access: Access,
    mut work: F,
) -> Result<HttpResponse, Error>
where
    F: FnMut(&mut DbConn, TenantId) -> Result<R::Stored, Error> + Send + 'static,
{
    let tenant = principal.tenant_id;
    let viewed = move |c: &mut DbConn| {
        let stored = work(c, tenant)?;
        resource::view::<R>(c, tenant, stored)
    };
    let (_, version, view) = match access {
        Access::Read => read(db, viewed).await?,
        Access::Write => write(db, principal.actor(), viewed).await?,
    };
    Ok(ok(version, R::Response::from(view)))
}

pub async fn delete<R: Wire>(
    db: &Db,
    principal: Principal,
    id: Uuid,
    expected: Expected,
    cascade: bool,
) -> Result<HttpResponse, Error> {
    principal.require(Scope::Write)?;
    let tenant = principal.tenant_id;
    write(db, principal.actor(), move |c| resource::delete::<R>(c, tenant, id, &expected, cascade))
        .await?;
    Ok(deleted())
}

/// The routes every entity clients write has alike — its list, `POST` to the collection, `GET`
/// (unless the entity reads itself another way), `PUT` and `PATCH` of an item — each a
/// handler of its own, whose doc comment and `#[utoipa::path]` are the document's, calling the
/// generic ones above. The caller imports actix-web's `get`, `post`, `put` and `patch`: utoipa
/// finds each method by that name.
macro_rules! crud_routes {
    (
        $R:ident, tag = $tag:tt, collection = $collection:tt, item = $item:tt,
        request = $Req:ident, response = $Resp:ident,
        $(#[doc = $list_doc:tt])*
        list = $list:ident($Params:ident) => |$params:ident| ($filter:expr, $page:expr),
        $(#[doc = $create_doc:tt])* create = $create:ident,
        $(find { $(#[doc = $find_doc:tt])* $find:ident },)?
        $(#[doc = $replace_doc:tt])* replace = $replace:ident,
        $(#[doc = $patch_doc:tt])* patch = $patch:ident,
        $(
            $(#[doc = $delete_doc:tt])* delete = $delete:ident $(($DeleteParams:ident))?,
        )?
    ) => {
        $(#[doc = $list_doc])*
        #[utoipa::path(tag = $tag, params($Params), responses((status = 200, body = Page<$Resp>)))]
        #[get($collection)]
        pub async fn $list(
            db: actix_web::web::Data<$crate::store::Db>,
            principal: $crate::http::auth::Principal,
            $crate::http::extract::Query($params): $crate::http::extract::Query<$Params>,
        ) -> Result<actix_web::HttpResponse, $crate::error::Error> {
            // The scope first: a key that may not read learns nothing from its parameters.
            principal.require($crate::domain::api_key::Scope::Read)?;
            $crate::http::resource::list::<$R>(&db, principal, $filter, $page).await
        }

        $(
        $(#[doc = $find_doc])*
        #[utoipa::path(tag = $tag, params(("id" = Uuid, Path)), responses((status = 200, body = $Resp)))]
        #[get($item)]
        pub async fn $find(
            db: actix_web::web::Data<$crate::store::Db>,
            principal: $crate::http::auth::Principal,
            id: actix_web::web::Path<uuid::Uuid>,
        ) -> Result<actix_web::HttpResponse, $crate::error::Error> {
            $crate::http::resource::find::<$R>(&db, principal, id.into_inner()).await
        }
        )?

        $(#[doc = $create_doc])*
        #[utoipa::path(tag = $tag, request_body = $Req, responses((status = 201, body = $Resp)))]
        #[post($collection)]
        pub async fn $create(
            db: actix_web::web::Data<$crate::store::Db>,
            principal: $crate::http::auth::Principal,
            $crate::http::extract::Json(body): $crate::http::extract::Json<$Req>,
        ) -> Result<actix_web::HttpResponse, $crate::error::Error> {
            $crate::http::resource::create::<$R>(&db, principal, body).await
        }

        $(#[doc = $replace_doc])*
        #[utoipa::path(tag = $tag, params(("id" = Uuid, Path)), request_body = $Req, responses((status = 200, body = $Resp)))]
        #[put($item)]
        pub async fn $replace(
            db: actix_web::web::Data<$crate::store::Db>,
            principal: $crate::http::auth::Principal,
            id: actix_web::web::Path<uuid::Uuid>,
            $crate::http::etag::IfMatch(expected): $crate::http::etag::IfMatch,
            $crate::http::extract::Json(body): $crate::http::extract::Json<$Req>,
        ) -> Result<actix_web::HttpResponse, $crate::error::Error> {
            $crate::http::resource::replace::<$R>(&db, principal, id.into_inner(), expected, body)
                .await
        }

        $(#[doc = $patch_doc])*
        #[utoipa::path(tag = $tag, params(("id" = Uuid, Path)), request_body(content = serde_json::Value, content_type = "application/merge-patch+json"), responses((status = 200, body = $Resp)))]
        #[patch($item)]
        pub async fn $patch(
            db: actix_web::web::Data<$crate::store::Db>,
            principal: $crate::http::auth::Principal,
            id: actix_web::web::Path<uuid::Uuid>,
            $crate::http::etag::IfMatch(expected): $crate::http::etag::IfMatch,
            $crate::http::extract::Json(patch): $crate::http::extract::Json<serde_json::Value>,
        ) -> Result<actix_web::HttpResponse, $crate::error::Error> {
            $crate::http::resource::patch::<$R>(&db, principal, id.into_inner(), expected, patch)
                .await
        }

        $(
        $crate::http::resource::delete_route!(
            $R, $tag, $item, [$(#[doc = $delete_doc])*], $delete, $($DeleteParams)?
        );
        )?
    };
}
pub(crate) use crud_routes;

/// The `DELETE` of `crud_routes!`: with a parameters type, it reads `cascade` from it.
macro_rules! delete_route {
    ($R:ident, $tag:tt, $item:tt, [$($doc:tt)*], $delete:ident, ) => {
        $($doc)*
        #[utoipa::path(tag = $tag, params(("id" = Uuid, Path)), responses((status = 204, description = "deleted")))]
        #[delete($item)]
        pub async fn $delete(
            db: actix_web::web::Data<$crate::store::Db>,
            principal: $crate::http::auth::Principal,
            id: actix_web::web::Path<uuid::Uuid>,
            $crate::http::etag::IfMatch(expected): $crate::http::etag::IfMatch,
        ) -> Result<actix_web::HttpResponse, $crate::error::Error> {
            $crate::http::resource::delete::<$R>(&db, principal, id.into_inner(), expected, false)
                .await
        }
    };
    ($R:ident, $tag:tt, $item:tt, [$($doc:tt)*], $delete:ident, $Params:ident) => {
        $($doc)*
        #[utoipa::path(tag = $tag, params(("id" = Uuid, Path), $Params), responses((status = 204, description = "deleted")))]
        #[delete($item)]
        pub async fn $delete(
            db: actix_web::web::Data<$crate::store::Db>,
            principal: $crate::http::auth::Principal,
            id: actix_web::web::Path<uuid::Uuid>,
            $crate::http::etag::IfMatch(expected): $crate::http::etag::IfMatch,
            $crate::http::extract::Query(params): $crate::http::extract::Query<$Params>,
        ) -> Result<actix_web::HttpResponse, $crate::error::Error> {
            let cascade = params.cascade.unwrap_or(false);
            $crate::http::resource::delete::<$R>(&db, principal, id.into_inner(), expected, cascade)
                .await
        }
    };
}
pub(crate) use delete_route;
