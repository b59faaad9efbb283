//! jobcraft keeps the post, the person and the crafted job apart.
//!
//! The layers import one way: `http` (actix-web handlers) → `sync` (the sync engine, no
//! actix) → `api` (wire types: serde + utoipa) → `store` (diesel) → `domain` (pure logic).
//! `error` is below them all; `startup`, `cli`, `demo`, `generate` and `delivery` sit on top
//! and wire them.

// The library has no unsafe code; the binary calls glibc once (src/main.rs).
#![forbid(unsafe_code)]

pub mod api;
pub mod cli;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod error;
pub mod generate;
pub mod http;
pub mod pruning;
pub mod startup;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod web;
