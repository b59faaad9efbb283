//! Bearer-key authentication. The principal is looked up per request; its tenant is put in
//! the request extensions for the request log.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::domain::api_key::Scope;
use crate::error::Error;
use crate::http::read;
use crate::store::api_keys::{self, Principal};
use crate::store::Db;

/// The tenant a request acts for, for logs.
#[derive(Debug, Clone, Copy)]
pub struct TenantTag(pub Uuid);

impl Principal {
    pub fn require(&self, scope: Scope) -> Result<(), Error> {
        if self.has(scope) {
            Ok(())
        } else {
            Err(Error::Forbidden(scope.as_str()))
        }
    }
}

impl FromRequest for Principal {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let db = req.app_data::<web::Data<Db>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let token = token.ok_or(Error::Unauthenticated)?;
            let db = db.ok_or_else(|| Error::internal("the database is not configured"))?;
            let principal = read(&db, move |conn| api_keys::authenticate(conn, &token))
                .await?
                .ok_or(Error::Unauthenticated)?;
            req.extensions_mut().insert(TenantTag(principal.tenant_id));
            Ok(principal)
        })
    }
}
