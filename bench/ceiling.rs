//! The HTTP layer's ceiling: actix-web, as jobcraft configures it (the same workers, no database),
//! answering a constant JSON body. `bench/reads` loads it like the real endpoints, so the gap
//! between the two is what the database and jobcraft's own work cost.
//! Usage: cargo run --release --example ceiling -- 127.0.0.1:18099 [WORKERS]

use actix_web::{web, App, HttpResponse, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18099".to_owned());
    let workers = std::env::args().nth(2).and_then(|w| w.parse().ok());
    let server = HttpServer::new(|| {
        App::new().route(
            "/",
            web::get().to(|| async {
                HttpResponse::Ok().content_type("application/json").body(
                    r#"{"id":"0190b3f2-0000-7000-8000-000000000000","display_name":"Ceiling"}"#,
                )
            }),
        )
    });
    match workers {
        Some(workers) => server.workers(workers),
        None => server,
    }
    .bind(bind)?
    .run()
    .await
}
