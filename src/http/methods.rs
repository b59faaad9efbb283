//! Requests no route took: a known path with an undeclared method is a 405 naming the methods
//! it has (RFC 9110 §15.5.6); anything else is a 404. The OpenAPI document is the route table,
//! so the two cannot disagree.

use std::sync::OnceLock;

use actix_web::HttpRequest;

use crate::error::Error;

/// Each documented path as its segments (`None` for a `{parameter}`), with its methods.
type Table = Vec<(Vec<Option<String>>, Vec<String>)>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let document = crate::http::openapi::document();
        document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments =
                    path.split('/').map(|s| (!s.starts_with('{')).then(|| s.to_owned())).collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ];
                let methods = methods.iter().filter(|(_, has)| *has).map(|(m, _)| (*m).to_owned());
                (segments, methods.collect())
            })
            .collect()
    })
}

/// The methods of the documented path `path` matches, if it matches one.
pub fn allowed(path: &str) -> Option<Vec<String>> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut allow: Vec<String> = Vec::new();
    for (template, methods) in table() {
        let matches = template.len() == segments.len()
            && template.iter().zip(&segments).all(|(t, s)| match t {
                Some(literal) => literal == s,
                None => !s.is_empty(),
            });
        if matches {
            allow
                .extend(methods.iter().filter(|m| !allow.contains(m)).cloned().collect::<Vec<_>>());
        }
    }
    (!allow.is_empty()).then_some(allow)
}

/// The default service: 405 with `Allow` on a known path, else 404.
pub async fn no_route(req: HttpRequest) -> Result<actix_web::HttpResponse, Error> {
    match allowed(req.path()) {
        Some(allow) if !allow.iter().any(|m| m == req.method().as_str()) => {
            Err(Error::MethodNotAllowed { allow })
        }
        _ => Err(Error::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documented_path_knows_its_methods() {
        let allow = allowed("/v1/organizations").unwrap();
        assert!(allow.contains(&"GET".to_owned()) && allow.contains(&"POST".to_owned()));
        assert!(!allow.contains(&"DELETE".to_owned()));
        assert!(allowed("/v1/organizations/0190a8a6-0000-7000-8000-000000000000").is_some());
        assert_eq!(allowed("/v1/nothing"), None);
    }
}
