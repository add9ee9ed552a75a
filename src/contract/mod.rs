//! The contracts every stage and command shares, in one place:
//!
//! - `schema`: the input contract (`shared/spec/inputs.md`) as data — sheet
//!   kinds, their columns and types, the folder each may sit in, the
//!   committees, tiers and other closed lists;
//! - `metrics`: the output contract (`shared/spec/outputs.md`) — the 24
//!   headline metrics, their ids, units, order and number format, and how
//!   the materials scale them (亿元, 万);
//! - `units`: the money units and their factors.
//!
//! Ingest, load, emit, check, explain, generate and template all import
//! from here; nothing here depends on a stage.

pub mod materials;
pub mod metrics;
pub mod schema;
pub mod units;
