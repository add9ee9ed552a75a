//! What an exporter is: it reads the warehouse and the year's figures
//! ([`Context`]) and hands over its files ([`Rendered`]), in memory or
//! already written to a temporary file ([`Body`]).

use std::path::Path;

use anyhow::Result;
use duckdb::Connection;

use crate::contract::metrics::Headline;

/// What every exporter reads: the warehouse and the year's figures.
pub struct Context<'a> {
    /// The year's output folder: outputs land here, and so do the
    /// temporary files of those written as they are read.
    pub dir: &'a Path,
    pub conn: &'a Connection,
    pub headline: &'a Headline,
    /// Every year up to the reporting year, oldest first (同比).
    pub history: &'a [Headline],
    /// The rendered materials (`materials/…`, `materials_sources.csv`).
    pub materials: &'a [(String, Vec<u8>)],
}

/// One output format: fetches what it needs from the warehouse and renders
/// its files (name, body) for the year. One module per format.
pub trait Exporter {
    fn render(&self, cx: &Context) -> Result<Rendered>;
}

/// An exporter's files: name and body.
pub type Rendered = Vec<(String, Body)>;

/// An output file as its exporter hands it over.
pub enum Body {
    /// Rendered in memory: the reports whose size the figures bound.
    Bytes(Vec<u8>),
    /// Already written, as its rows were read, to a temporary file in the
    /// output folder ([`crate::util::fs::temp_file`]); renamed into place with the others.
    /// For the lists whose length the input decides: one bad workbook can
    /// have a problem on every row, and holding them as text and then as
    /// CSV bytes would cost memory in proportion.
    Written(tempfile::NamedTempFile),
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::Bytes(bytes)
    }
}
