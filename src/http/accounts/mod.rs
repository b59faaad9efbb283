//! `/v1/accounts/{id}/…`: a client organization with its sub-organizations seen
//! as an account — its network, its coverage report and the life of its alerts, and
//! suggestions for who covers whom.
//! `/v1/coverage/overview` compares the report's metrics across accounts.

pub mod alerts;
pub mod apply;
mod network;
mod paths;
pub mod report;
pub mod suggestions;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(network::account_network)
        .service(report::account_coverage)
        .service(report::coverage_overview)
        .service(alerts::account_alerts)
        .service(alerts::decide_alert)
        .service(paths::account_paths)
        .service(suggestions::suggest)
        .service(apply::apply);
}
