//! Pure domain logic: no I/O, no diesel, no actix. The bottom layer: it imports only `error`.

pub mod account;
pub mod alert;
pub mod api_key;
pub mod assignment;
pub mod calendar;
pub mod coverage;
pub mod crafting;
pub mod delay;
pub mod diff;
pub mod facet;
pub mod fit;
pub mod hierarchy;
pub mod influence;
pub mod organization;
pub mod person;
pub mod post;
pub mod rate_limit;
pub mod similarity;
pub mod strength;
pub mod suggestion;
pub mod sync;
pub mod tenant;
pub mod tenure;
pub mod text;
pub mod vocabulary;
pub mod webhook;
