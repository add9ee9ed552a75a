//! The hidden `__reader-worker` command: a reader worker process that
//! reads the files its parent names on standard input, within the limits
//! its parent passes as JSON (`ingest::worker` does the work).

use anyhow::{Context, Result};

/// Serve the parent until it closes standard input.
pub fn serve(limits: &str) -> Result<()> {
    let limits = serde_json::from_str(limits).context("the reader worker's limits")?;
    crate::ingest::worker::serve(limits)
}
