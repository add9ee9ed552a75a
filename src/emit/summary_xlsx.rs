//! `summary.xlsx`: one workbook for the secretariat, formatted for print —
//! 总览, 同比 (with a chart of 利税 and facilitated financing by year) and
//! the breakdowns, each a polars DataFrame written by polars_excel_writer
//! onto a rust_xlsxwriter worksheet: title row, styled header, thousands
//! separators, 合计 row, frozen header, A4 landscape, print titles.
//! Each breakdown is also written as a CSV beside it (`csv()`).

use anyhow::{Context, Result};
use polars_excel_writer::PolarsExcelWriter;
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook,
};

use super::frames::{ColKind, Frame};
use crate::emit::csv_field;
use crate::emit::neutralize;
use crate::metrics::{Kind, METRICS};

pub const FILE_NAME: &str = "summary.xlsx";

/// First data row (0-based): a title row, then the header.
const HEADER_ROW: u32 = 1;

pub fn render(frames: &[Frame]) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    // Fixed metadata: the same figures give a byte-identical workbook.
    let fixed = ExcelDateTime::from_ymd(2000, 1, 1)?;
    wb.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&fixed)
            .set_title("chamberstat summary"),
    );
    let header = Format::new()
        .set_bold()
        .set_background_color("#DCE6F1")
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let title = Format::new().set_bold().set_font_size(14);
    let money = Format::new().set_num_format("#,##0.00");
    let count = Format::new().set_num_format("#,##0");
    let bold_money = Format::new().set_bold().set_num_format("#,##0.00");
    let bold_count = Format::new().set_bold().set_num_format("#,##0");
    let bold = Format::new().set_bold();

    for frame in frames {
        let ws = wb.add_worksheet();
        ws.set_name(frame.sheet)?;
        let mut writer = PolarsExcelWriter::new();
        writer
            .set_header_format(&header)
            .set_dtype_float_format(&money)
            .set_dtype_int_format(&count)
            .set_autofit(true)
            .set_autofit_max_width(60);
        if frame.df.height() == 0 {
            // Nothing to tabulate this year: the header and a plain remark
            // (an Excel table needs at least one row).
            for (c, name) in frame.df.get_column_names().iter().enumerate() {
                ws.write_string_with_format(HEADER_ROW, c as u16, name.as_str(), &header)?;
            }
            ws.write_string(HEADER_ROW + 1, 0, "（本年度无数据）")?;
        } else {
            writer
                .write_dataframe_to_worksheet(&frame.df, ws, HEADER_ROW, 0)
                .with_context(|| format!("cannot write sheet {}", frame.sheet))?;
        }
        let rows = frame.text.len() as u32;
        if frame.sheet == "总览" {
            // One value column for every metric: counts without decimals.
            for (i, m) in METRICS.iter().enumerate() {
                if m.kind == Kind::Count {
                    let v: f64 = frame.text[i][2].parse().unwrap_or_default();
                    ws.write_number_with_format(HEADER_ROW + 1 + i as u32, 2, v, &count)?;
                }
            }
        }
        if let Some(total) = &frame.total {
            let r = HEADER_ROW + 1 + rows;
            for (c, (text, kind)) in total.iter().zip(&frame.kinds).enumerate() {
                let c = c as u16;
                match kind {
                    ColKind::Text => {
                        ws.write_string_with_format(r, c, text, &bold)?;
                    }
                    ColKind::Int => {
                        ws.write_number_with_format(
                            r,
                            c,
                            text.parse::<f64>().unwrap_or_default(),
                            &bold_count,
                        )?;
                    }
                    ColKind::Money => {
                        ws.write_number_with_format(
                            r,
                            c,
                            text.parse::<f64>().unwrap_or_default(),
                            &bold_money,
                        )?;
                    }
                }
            }
        }
        // Widths from the cells as displayed (with thousands separators);
        // the title row may overflow into the empty cells to its right.
        ws.write_string_with_format(0, 0, &frame.title, &title)?;
        for c in 0..frame.kinds.len() {
            ws.set_column_width(c as u16, column_width(frame, c).min(60.0))?;
        }
        ws.set_freeze_panes(HEADER_ROW + 1, 0)?;
        ws.set_landscape();
        ws.set_paper_size(9); // A4
        ws.set_repeat_rows(0, HEADER_ROW)?;
        ws.set_print_fit_to_pages(1, 0);
        ws.set_header("&C&A");
        ws.set_footer("&C第 &P 页，共 &N 页");
        ws.set_row_height(HEADER_ROW, 30)?;
        if frame.sheet == "同比" {
            add_trend_chart(ws, frame)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// Display width of a column as printed: header and cells, CJK characters
/// counting double, numbers with their thousands separators.
fn column_width(frame: &Frame, col: usize) -> f64 {
    let width = |s: &str| {
        s.chars()
            .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
            .sum::<f64>()
    };
    let shown = |s: &str| match frame.kinds[col] {
        ColKind::Text => width(s),
        _ => {
            let digits = s.split('.').next().unwrap_or("").trim_start_matches('-').len();
            width(s) + (digits.saturating_sub(1) / 3) as f64
        }
    };
    let header = frame
        .df
        .get_column_names()
        .get(col)
        .map(|n| width(n.as_str()))
        .unwrap_or(0.0);
    frame
        .text
        .iter()
        .chain(frame.total.iter())
        .map(|r| shown(&r[col]))
        .fold(header, f64::max)
        + 2.0
}

/// 利税 and facilitated financing by year, from the 同比 sheet's own cells.
fn add_trend_chart(ws: &mut rust_xlsxwriter::Worksheet, frame: &Frame) -> Result<()> {
    let years = frame.kinds.len().saturating_sub(4) as u16; // 指标, id … 变化, 变化%
    if years == 0 {
        return Ok(());
    }
    let row_of = |id: &str| {
        METRICS
            .iter()
            .position(|m| m.id == id)
            .map(|i| HEADER_ROW + 1 + i as u32)
    };
    let mut chart = Chart::new(ChartType::Column);
    chart.title().set_name("利税总额与经商会促成金融支持（元）");
    for id in ["profit_tax_total", "financing_facilitated"] {
        let Some(r) = row_of(id) else { continue };
        chart
            .add_series()
            .set_name(("同比", r, 0))
            .set_categories(("同比", HEADER_ROW, 2, HEADER_ROW, 1 + years))
            .set_values(("同比", r, 2, r, 1 + years));
    }
    chart.y_axis().set_num_format("#,##0");
    // Beside the table, so the sheet prints on one landscape page.
    ws.insert_chart(HEADER_ROW, frame.kinds.len() as u16 + 1, &chart)?;
    Ok(())
}

/// The CSV twin of a breakdown: exact values, submitted text neutralised.
pub fn csv(frame: &Frame) -> Vec<u8> {
    let mut out = String::new();
    let header: Vec<String> = frame
        .df
        .get_column_names()
        .iter()
        .map(|n| csv_field(n.as_str()))
        .collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for row in frame.text.iter().chain(frame.total.iter()) {
        let line: Vec<String> = row
            .iter()
            .zip(&frame.kinds)
            .map(|(f, kind)| match kind {
                ColKind::Text => csv_field(&neutralize(f)),
                _ => csv_field(f),
            })
            .collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out.into_bytes()
}
