//! The materials contract's files (`shared/spec/materials.md`): the
//! folder of `--inputs` that holds the secretariat's templates, which files
//! there are templates, and the sources file written beside the outputs.

use std::path::PathBuf;

use crate::util::stat::Stat;

/// The folder of `--inputs` that holds the templates.
pub const FOLDER: &str = "materials";
/// The sources of every number written, beside the year's other outputs.
pub const SOURCES_FILE: &str = "materials_sources.csv";

/// A template found under `inputs/materials/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFile {
    pub abs: PathBuf,
    /// Relative to `--inputs` (`materials/先进事迹材料.docx`).
    pub rel: String,
    pub stat: Option<Stat>,
}

impl TemplateFile {
    /// The file name without its folder and extension.
    pub fn stem(&self) -> &str {
        let name = self.rel.rsplit('/').next().unwrap_or(&self.rel);
        name.rsplit_once('.').map_or(name, |(stem, _)| stem)
    }

    pub fn is_docx(&self) -> bool {
        self.rel.to_ascii_lowercase().ends_with(".docx")
    }
}

/// True for the kinds of file a template may be.
pub fn is_template_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.starts_with("~$") && !name.starts_with('.') && (lower.ends_with(".docx") || lower.ends_with(".md"))
}

/// The templates under `inputs/materials/` and the other files there
/// (listed as skipped).
pub fn is_in_folder(rel: &str) -> bool {
    rel.starts_with("materials/")
}
