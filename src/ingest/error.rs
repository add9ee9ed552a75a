//! Why a file or a sheet cannot be read, as types. Each message says what
//! was expected and what was found, in the contract's `中文 / English`
//! form: these texts are what the call-back list shows the submitter, so
//! a change of wording here is a change of the outputs.

use crate::util::size::human_bytes;

/// A whole file that is not read (it is rejected; the run goes on).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(
        "文件解压后共 {}，超过上限 {}（--max-unpacked-bytes）/ the file unpacks to {}, more than --max-unpacked-bytes ({})",
        human_bytes(*.total), human_bytes(*.limit), human_bytes(*.total), human_bytes(*.limit)
    )]
    UnpacksTooLarge { total: u64, limit: u64 },
    #[error(
        "文件中的 {entry} 解压后是压缩前的 {ratio} 倍（{}），超过 {max_ratio} 倍的上限，疑为压缩炸弹 / the entry {entry} inflates {ratio}:1 (to {}), beyond {max_ratio}:1: a zip bomb, not a workbook",
        human_bytes(*.unpacked), human_bytes(*.unpacked)
    )]
    Bomb {
        entry: String,
        ratio: u64,
        unpacked: u64,
        max_ratio: u64,
    },
    /// A dense format's sheet over `--max-grid-cells`, measured before the
    /// grid is built.
    #[error(transparent)]
    Limit(#[from] ReadError),
    #[error("无法作为{}打开：{} / cannot be opened as {}: {}", .format.zh(), .failure.zh(), .format.en(), .failure.en(.detail))]
    Unopenable {
        format: Format,
        failure: Failure,
        /// The reader library's own words.
        detail: String,
    },
    #[error("不支持的扩展名 .{0} / unsupported extension .{0}")]
    Extension(String),
}

/// The workbook format a file's extension promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

impl Format {
    fn zh(self) -> &'static str {
        match self {
            Format::Xlsx => "Excel 工作簿（.xlsx）",
            Format::Xlsb => "Excel 二进制工作簿（.xlsb）",
            Format::Xls => "Excel 97-2003 工作簿（.xls）",
            Format::Ods => "OpenDocument 表格（.ods）",
        }
    }

    fn en(self) -> &'static str {
        match self {
            Format::Xlsx => "an Excel workbook (.xlsx)",
            Format::Xlsb => "an Excel binary workbook (.xlsb)",
            Format::Xls => "an Excel 97-2003 workbook (.xls)",
            Format::Ods => "an OpenDocument spreadsheet (.ods)",
        }
    }
}

/// What a clerk can do about a file the reader could not open, told by
/// the reader's error variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Saved with a password.
    Password,
    /// Not a container of this format at all (a web page or CSV saved
    /// under a workbook's extension), or a broken one.
    NotThisFormat,
    /// Anything else the reader refused.
    Damaged,
}

impl Failure {
    fn zh(self) -> &'static str {
        match self {
            Failure::Password => "工作簿设有密码，请取消密码后重新提交",
            Failure::NotThisFormat => {
                "文件已损坏，或其实不是这种格式的工作簿（例如另存为该扩展名的网页或 CSV）"
            }
            Failure::Damaged => "文件已损坏或格式无法识别",
        }
    }

    /// The English half, with the reader's own words where they help.
    fn en(self, detail: &str) -> String {
        match self {
            Failure::Password => "the workbook is password-protected; save it without a password".into(),
            Failure::NotThisFormat => {
                format!("the file is damaged or not really a workbook of this kind ({detail})")
            }
            Failure::Damaged => detail.to_string(),
        }
    }
}

/// A reader error's [`Failure`], by its variant.
pub trait Classify: std::fmt::Display {
    fn failure(&self) -> Failure;

    /// The file as not openable in `format`.
    fn unopenable(&self, format: Format) -> FileError {
        FileError::Unopenable {
            format,
            failure: self.failure(),
            detail: self.to_string(),
        }
    }
}

impl Classify for calamine::XlsxError {
    fn failure(&self) -> Failure {
        match self {
            calamine::XlsxError::Password => Failure::Password,
            calamine::XlsxError::Zip(_) => Failure::NotThisFormat,
            _ => Failure::Damaged,
        }
    }
}

impl Classify for calamine::XlsbError {
    fn failure(&self) -> Failure {
        match self {
            calamine::XlsbError::Password => Failure::Password,
            calamine::XlsbError::Zip(_) => Failure::NotThisFormat,
            _ => Failure::Damaged,
        }
    }
}

impl Classify for calamine::XlsError {
    fn failure(&self) -> Failure {
        match self {
            calamine::XlsError::Password => Failure::Password,
            calamine::XlsError::Cfb(_) => Failure::NotThisFormat,
            _ => Failure::Damaged,
        }
    }
}

impl Classify for calamine::OdsError {
    fn failure(&self) -> Failure {
        match self {
            calamine::OdsError::Password => Failure::Password,
            calamine::OdsError::Zip(_) => Failure::NotThisFormat,
            _ => Failure::Damaged,
        }
    }
}

/// Why a file stopped being read: a limit, or the reader's own error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("工作表超过 {limit} 个非空行（--max-rows-per-sheet）/ the sheet has more than {limit} non-empty rows (--max-rows-per-sheet)")]
    TooManyRows { limit: u64, cell: String },
    #[error("单元格文字超过 {limit} 个字符（--max-cell-chars），实际 {found} 个 / a cell holds {found} characters, more than {limit} (--max-cell-chars)")]
    CellTooLong {
        limit: usize,
        found: usize,
        cell: String,
    },
    #[error("文件超过 {limit} 个非空单元格（--max-cells-per-file）/ the file has more than {limit} non-empty cells (--max-cells-per-file)")]
    TooManyCells { limit: u64, cell: String },
    #[error("工作表范围 {rows} 行 × {cols} 列，共 {cells} 个单元格，超过 {limit}（--max-grid-cells），该格式只能整表读入 / the sheet spans {rows} rows x {cols} columns = {cells} cells, more than {limit} (--max-grid-cells); this format can only be read as a whole grid")]
    GridTooLarge {
        rows: u64,
        cols: u64,
        cells: u64,
        limit: u64,
    },
    #[error("工作表无法读取 / the sheet cannot be read: {0}")]
    Reader(ReaderError),
}

impl ReadError {
    /// The A1 cell where the limit was crossed, if there is one.
    pub fn cell(&self) -> &str {
        match self {
            ReadError::TooManyRows { cell, .. }
            | ReadError::CellTooLong { cell, .. }
            | ReadError::TooManyCells { cell, .. } => cell,
            _ => "",
        }
    }

    /// True when a limit was crossed (the whole file is rejected); false for
    /// a reader error (the sheet is).
    pub fn is_limit(&self) -> bool {
        !matches!(self, ReadError::Reader(_))
    }
}

/// The reader library's own words for a sheet or cell it could not read
/// (its errors are not `Clone`; the words are what the call-back list
/// shows).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReaderError(String);

impl ReaderError {
    pub fn of(e: &dyn std::fmt::Display) -> ReaderError {
        ReaderError(e.to_string())
    }
}

/// A file name that is not UTF-8, with the undecodable bytes shown as
/// U+FFFD.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the name {lossy} is not UTF-8")]
pub struct NotUtf8 {
    pub lossy: String,
}

/// A job whose reader worker died or ran out of time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct WorkerDied {
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_not_words_say_what_went_wrong() {
        let password = calamine::XlsxError::Password.unopenable(Format::Xlsx).to_string();
        assert!(
            password.starts_with("无法作为Excel 工作簿（.xlsx）打开：工作簿设有密码"),
            "{password}"
        );
        assert!(password.ends_with("save it without a password"), "{password}");
        let csv = std::io::Cursor::new(b"a,b\n1,2\n".to_vec());
        let not_zip = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(csv)
            .err()
            .unwrap();
        assert_eq!(not_zip.failure(), Failure::NotThisFormat);
        // A reader message that happens to say "password" is not a password.
        let other = calamine::XlsxError::FileNotFound("password.xml".into());
        assert_eq!(other.failure(), Failure::Damaged);
    }

    #[test]
    fn container_limits_name_the_limit_and_what_was_found() {
        let e = FileError::UnpacksTooLarge {
            total: 3 << 30,
            limit: 256 << 20,
        };
        assert!(e
            .to_string()
            .contains("the file unpacks to 3 GiB, more than --max-unpacked-bytes (256 MiB)"));
    }
}
