//! What a run leaves behind for the next run and for the auditor:
//! `manifest.json` (what the year's outputs were computed from) and the one
//! decision of what has changed since the last run (`changes`): whether a
//! run has anything to do at all, which files the load must parse, and
//! whether the outputs are still current after a load.

pub mod changes;
pub mod manifest;
