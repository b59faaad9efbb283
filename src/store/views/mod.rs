//! Read models across aggregates: a view may import any aggregate module; no aggregate imports
//! a view.

pub mod holdings;
pub mod names;
pub mod paths;
pub mod scopes;
