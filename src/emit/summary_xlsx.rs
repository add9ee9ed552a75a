//! `summary.xlsx`: one workbook for the secretariat, formatted for print —
//! 总览, 同比 (with charts below it) and the breakdowns, each a polars
//! DataFrame written by polars_excel_writer onto a rust_xlsxwriter
//! worksheet: title row, styled header, thousands separators, 合计 row,
//! note lines, frozen header, A4 landscape one page wide, print titles, all
//! in the CJK font of [`book`]. Each breakdown is also written as a CSV
//! beside it (`csv()`), with a BOM for Excel.

use anyhow::{Context, Result};
use polars_excel_writer::PolarsExcelWriter;
use rust_xlsxwriter::{Chart, ChartFont, ChartType, Worksheet};

use super::frames::{ColKind, Frame};
use crate::util::book::{self, Formats};
use crate::util::csv::people_csv;

pub const FILE_NAME: &str = "summary.xlsx";

/// First data row (0-based): a title row, then the header.
const HEADER_ROW: u32 = 1;

pub fn render(frames: &[Frame]) -> Result<Vec<u8>> {
    let mut wb = book::workbook("商会年度统计汇总")?;
    let f = Formats::new();
    for frame in frames {
        let ws = wb.add_worksheet();
        ws.set_name(frame.sheet)?;
        write_frame(ws, &f, frame).with_context(|| format!("cannot write sheet {}", frame.sheet))?;
        if frame.sheet == "同比" {
            add_trend_charts(ws, frame)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}

fn write_frame(ws: &mut Worksheet, f: &Formats, frame: &Frame) -> Result<()> {
    let mut writer = PolarsExcelWriter::new();
    writer
        .set_header_format(&f.header)
        .set_dtype_float_format(&f.money)
        .set_dtype_int_format(&f.count)
        .set_autofit(false);
    if frame.df.height() == 0 {
        // Nothing to tabulate this year: the header and a plain remark
        // (an Excel table needs at least one row).
        for (c, name) in frame.df.get_column_names().iter().enumerate() {
            ws.write_string_with_format(HEADER_ROW, c as u16, name.as_str(), &f.header)?;
        }
        ws.write_string_with_format(HEADER_ROW + 1, 0, "（本年度无数据）", &f.text)?;
    } else {
        writer.write_dataframe_to_worksheet(&frame.df, ws, HEADER_ROW, 0)?;
    }
    // A numeric column may mix counts and amounts (总览, 同比): a whole
    // number is shown without decimals.
    for (r, row) in frame.text.iter().enumerate() {
        for (c, (text, kind)) in row.iter().zip(&frame.kinds).enumerate() {
            if *kind == ColKind::Decimal && !text.is_empty() && !text.contains('.') {
                let v: f64 = text.parse().unwrap_or_default();
                ws.write_number_with_format(HEADER_ROW + 1 + r as u32, c as u16, v, &f.count)?;
            }
        }
    }
    let mut next = HEADER_ROW + 1 + frame.text.len().max(1) as u32;
    if let Some(total) = &frame.total {
        for (c, (text, kind)) in total.iter().zip(&frame.kinds).enumerate() {
            let c = c as u16;
            let v = text.parse::<f64>().unwrap_or_default();
            match kind {
                ColKind::Text => ws.write_string_with_format(next, c, text, &f.bold)?,
                ColKind::Int => ws.write_number_with_format(next, c, v, &f.bold_count)?,
                ColKind::Decimal => ws.write_number_with_format(next, c, v, &f.bold_money)?,
            };
        }
        next += 1;
    }
    for note in &frame.notes {
        // A note runs across the empty cells to its right.
        ws.write_string_with_format(next, 0, note, &f.note)?;
        next += 1;
    }
    ws.write_string_with_format(0, 0, &frame.title, &f.title)?;
    for c in 0..frame.kinds.len() {
        ws.set_column_width(c as u16, column_width(frame, c).min(60.0))?;
    }
    ws.set_freeze_panes(HEADER_ROW + 1, 0)?;
    ws.set_row_height(HEADER_ROW, 30)?;
    book::print_setup(ws, HEADER_ROW)?;
    Ok(())
}

/// Display width of a column as printed: header and cells, CJK characters
/// counting double, numbers with their thousands separators.
fn column_width(frame: &Frame, col: usize) -> f64 {
    let shown = |s: &str| match frame.kinds[col] {
        ColKind::Text => book::text_width(s),
        _ => {
            let digits = s.split('.').next().unwrap_or("").trim_start_matches('-').len();
            book::text_width(s) + (digits.saturating_sub(1) / 3) as f64
        }
    };
    let header = frame
        .df
        .get_column_names()
        .get(col)
        .map(|n| book::text_width(n.as_str()))
        .unwrap_or(0.0);
    frame
        .text
        .iter()
        .chain(frame.total.iter())
        .map(|r| shown(&r[col]))
        .fold(header, f64::max)
        + 2.0
}

/// The families charted on 同比: series of one family share a unit and a
/// meaning, so one axis serves them.
const CHARTS: [(&str, &str, &[&str]); 3] = [
    ("报送企业利税与纳税", "亿元", &["profit_tax_total", "tax_total"]),
    ("经商会促成的金融支持", "亿元", &["financing_facilitated"]),
    (
        "会员企业与报送企业",
        "家",
        &["member_companies", "reporting_companies"],
    ),
];

/// The charts of 同比, stacked below the table and no wider than it, so the
/// sheet prints one page wide at full size. Values are the sheet's own
/// cells, already in the unit of the axis.
fn add_trend_charts(ws: &mut Worksheet, frame: &Frame) -> Result<()> {
    let id_col = frame.kinds.len() - 1; // 指标代码 is last
    let years = frame.kinds.len().saturating_sub(6) as u16; // 指标, 单位 … 变化, 变化单位, 变化率, 指标代码
    if years == 0 {
        return Ok(());
    }
    let mut font = ChartFont::new();
    font.set_name(book::FONT);
    // Excel's column width unit is about 7 pixels at this font size.
    let table_px: f64 = (0..frame.kinds.len())
        .map(|c| column_width(frame, c).min(60.0) * 7.0 + 5.0)
        .sum();
    let width = table_px.clamp(360.0, 900.0) as u32;
    let mut row = HEADER_ROW + 1 + frame.text.len() as u32 + frame.notes.len() as u32 + 1;
    for (title, unit, ids) in CHARTS {
        let mut chart = Chart::new(ChartType::Column);
        chart
            .title()
            .set_name(&format!("{title}（{unit}）"))
            .set_font(&font);
        for id in ids {
            let Some(r) = frame.text.iter().position(|t| t[id_col] == *id) else {
                continue;
            };
            let r = HEADER_ROW + 1 + r as u32;
            chart
                .add_series()
                .set_name(("同比", r, 0))
                .set_categories(("同比", HEADER_ROW, 2, HEADER_ROW, 1 + years))
                .set_values(("同比", r, 2, r, 1 + years));
        }
        chart
            .x_axis()
            .set_name("年度")
            .set_name_font(&font)
            .set_font(&font);
        chart.y_axis().set_name(unit).set_name_font(&font).set_font(&font);
        chart
            .y_axis()
            .set_num_format(if unit == "亿元" { "#,##0.00" } else { "#,##0" });
        chart.legend().set_font(&font);
        chart.set_width(width).set_height(260);
        ws.insert_chart(row, 0, &chart)?;
        row += 14; // 260 px at 20 px a row, and a gap
    }
    Ok(())
}

/// The CSV twin of a breakdown: exact values, notes as last lines, a BOM.
pub fn csv(frame: &Frame) -> Vec<u8> {
    let header: Vec<&str> = frame.df.get_column_names().iter().map(|n| n.as_str()).collect();
    let mut rows: Vec<Vec<String>> = frame.text.iter().chain(frame.total.iter()).cloned().collect();
    // Note lines padded to the table's width: every record has as many
    // fields as the header, as CSV readers expect.
    rows.extend(frame.notes.iter().map(|n| {
        let mut line = vec![String::new(); header.len()];
        line[0] = n.clone();
        line
    }));
    people_csv(&header, &rows)
}

/// The exporter of summary.xlsx and the CSV twin of each of its sheets.
pub struct Summary;

impl super::exporter::Exporter for Summary {
    fn render(&self, cx: &super::exporter::Context) -> Result<super::exporter::Rendered> {
        let frames = super::frames::frames(cx.conn, cx.headline, cx.history)?;
        let mut files = vec![(FILE_NAME.to_string(), render(&frames)?.into())];
        files.extend(frames.iter().map(|f| (f.csv.to_string(), csv(f).into())));
        Ok(files)
    }
}
