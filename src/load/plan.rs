//! What a load does with each discovered file. `state::changes` decides
//! it (the one place that says what has changed since the last run); the
//! load carries it out.

use crate::ingest::{Discovery, InputFile, Stat};

/// Which files a load parses, keeps, re-stats and drops.
pub struct Plan<'d> {
    /// Parse everything, after emptying every per-file table.
    pub full: bool,
    /// New and changed files (the discovery's own entries, not copies: a
    /// large tree's entries are tens of MB).
    pub parse: Vec<&'d InputFile>,
    /// Unchanged files, whose rows stay.
    pub kept: usize,
    /// Unchanged files whose stat changed (touched, copied back): the new stat.
    pub restat: Vec<(String, Stat)>,
    /// Files the last run loaded that are gone or changed: their rows go.
    pub stale: Vec<String>,
}

impl<'d> Plan<'d> {
    /// Parse every discovered file into emptied tables (`--full`, and
    /// every throw-away warehouse).
    pub fn everything(discovery: &'d Discovery) -> Plan<'d> {
        Plan {
            full: true,
            parse: discovery.files.iter().collect(),
            kept: 0,
            restat: Vec::new(),
            stale: Vec::new(),
        }
    }
}
