//! jobcraft keeps the post, the person and the crafted job apart.
//!
//! `domain` is pure logic, `store` is diesel, `http` is actix-web; `startup` wires them.

pub mod cli;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod error;
pub mod generate;
pub mod http;
pub mod startup;
pub mod store;
pub mod telemetry;
