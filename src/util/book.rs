//! The look every workbook this program writes shares (summary.xlsx,
//! rejects.xlsx, the submission templates): a Chinese font, fixed
//! metadata, and the title, header and number formats.
//!
//! Excel's default Calibri has no Chinese glyphs, so each machine would
//! fall back to a font of its own choosing and the printed pages would
//! differ. 等线 (DengXian) ships with every Office since 2016 and is the
//! font Chinese Excel itself defaults to; every format here names it, and
//! so does the workbook's default format (cells written without one).

use anyhow::{Context, Result};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet};

/// The CJK font of every cell.
pub const FONT: &str = "等线";

/// A format in the workbook's font.
pub fn format() -> Format {
    Format::new().set_font_name(FONT).set_font_size(11)
}

/// The shared formats.
pub struct Formats {
    pub title: Format,
    pub note: Format,
    pub header: Format,
    pub text: Format,
    pub money: Format,
    pub count: Format,
    pub bold: Format,
    pub bold_money: Format,
    pub bold_count: Format,
}

impl Formats {
    pub fn new() -> Self {
        Formats {
            title: format().set_bold().set_font_size(14),
            note: format().set_italic().set_font_color("#595959"),
            header: format()
                .set_bold()
                .set_background_color("#DCE6F1")
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            text: format(),
            money: format().set_num_format("#,##0.00"),
            count: format().set_num_format("#,##0"),
            bold: format().set_bold(),
            bold_money: format().set_bold().set_num_format("#,##0.00"),
            bold_count: format().set_bold().set_num_format("#,##0"),
        }
    }
}

impl Default for Formats {
    fn default() -> Self {
        Self::new()
    }
}

/// An empty workbook, once a temporary file can be made: rust_xlsxwriter
/// gives every worksheet one (its constant-memory mode, which rejects.xlsx
/// uses) and panics when it cannot, so the folder is tried first and named.
pub fn new_workbook() -> Result<Workbook> {
    tempfile::tempfile().with_context(|| {
        format!(
            "cannot create a temporary file in {} (TMPDIR), which workbooks are written through",
            std::env::temp_dir().display()
        )
    })?;
    Ok(Workbook::new())
}

/// A new workbook in the CJK font, with fixed metadata so the same content
/// gives byte-identical files.
pub fn workbook(title: &str) -> Result<Workbook> {
    let mut wb = new_workbook()?;
    wb.set_default_format(&format(), 20, 64)?;
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&fixed)
            .set_title(title),
    );
    Ok(wb)
}

/// A4 landscape, one page wide, header rows repeated, the sheet name on top
/// and page numbers below.
pub fn print_setup(ws: &mut Worksheet, repeat_to_row: u32) -> Result<()> {
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_repeat_rows(0, repeat_to_row)?;
    ws.set_print_fit_to_pages(1, 0);
    ws.set_header("&C&A");
    ws.set_footer("&C第 &P 页，共 &N 页");
    Ok(())
}

/// Display width of text as Excel sizes columns: CJK characters count
/// double.
pub fn text_width(s: &str) -> f64 {
    s.chars().map(|c| if c.is_ascii() { 1.0 } else { 2.0 }).sum()
}
