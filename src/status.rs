//! `chamberstat check --status`: who has submitted and who has not, read
//! from the warehouse the last run left, for the secretariat's daily look
//! before the deadline. The same views as submission_status.csv and the
//! 报送情况 sheet (`queries/90_status.sql`), so the three never disagree.

use std::io::Write;

use anyhow::Result;
use rust_decimal::Decimal;

use crate::cli::{Format, Global};
use crate::emit::frames::{self, Frame};
use crate::Outcome;

/// Display width as a terminal shows it: CJK characters count double (the
/// same measure the workbooks size their columns by).
fn width(s: &str) -> usize {
    crate::emit::book::text_width(s) as usize
}

/// `s` padded with spaces to `to` display columns.
fn pad(s: &str, to: usize) -> String {
    format!("{s}{}", " ".repeat(to.saturating_sub(width(s))))
}

/// A text table of `columns` of the frame's header and `rows`.
fn table(out: &mut impl Write, frame: &Frame, columns: &[usize], rows: &[&Vec<String>]) -> Result<()> {
    let names = frame.df.get_column_names();
    let header: Vec<String> = columns.iter().map(|c| names[*c].to_string()).collect();
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|c| r[*c].clone()).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| &r[c])
                .chain(std::iter::once(&header[c]))
                .map(|s| width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(s, w)| pad(s, *w))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "{}", line(&header))?;
    for r in &rows {
        writeln!(out, "{}", line(r))?;
    }
    Ok(())
}

pub fn status(g: &Global, year: Option<i32>, format: Format) -> Result<Outcome> {
    let conn = crate::load::open_read_only(&g.db())?;
    let years = crate::aggregate::years(&conn)?;
    let year = crate::cli::pick_year(year, &years)?;
    let by_committee = frames::breakdown(&conn, "报送情况", year)?;
    let members = frames::breakdown(&conn, "报送明细", year)?;
    let total = by_committee.total.clone().unwrap_or_default();
    let count = |i: usize| {
        total
            .get(i)
            .and_then(|t| t.parse::<Decimal>().ok())
            .unwrap_or_default()
    };
    let rate = frames::rate_line(count(2), count(1));
    let missing: Vec<&Vec<String>> = members.text.iter().filter(|r| r[4] == "未报送").collect();
    let mut out = std::io::stdout().lock();
    match format {
        Format::Table => {
            writeln!(
                out,
                "{year} 年度报送情况：{rate}，未报送 {} 家，被退回的数据行 {} 行\n",
                count(3),
                count(4)
            )?;
            let rows: Vec<&Vec<String>> = by_committee
                .text
                .iter()
                .chain(by_committee.total.iter())
                .collect();
            table(&mut out, &by_committee, &[0, 1, 2, 3, 4], &rows)?;
            writeln!(out, "\n未报送的会员企业（{} 家）：", missing.len())?;
            // Code, name, tier, committee, rejected rows: the rest is empty
            // for a member who has not submitted.
            table(&mut out, &members, &[0, 1, 2, 3, 8], &missing)?;
        }
        Format::Csv => {
            // The member list, as submission_status.csv (no BOM on stdout).
            let bytes = crate::emit::summary_xlsx::csv(&members);
            out.write_all(&bytes[crate::emit::BOM.len()..])?;
        }
        Format::Json => {
            let header = |f: &Frame| -> Vec<String> {
                f.df.get_column_names().iter().map(|n| n.to_string()).collect()
            };
            let rows = |f: &Frame, rows: &[Vec<String>]| -> Vec<serde_json::Map<String, serde_json::Value>> {
                rows.iter()
                    .map(|r| {
                        header(f)
                            .into_iter()
                            .zip(r.iter().map(|v| serde_json::Value::from(v.as_str())))
                            .collect()
                    })
                    .collect()
            };
            let v = serde_json::json!({
                "year": year,
                "rate": rate,
                "members": count(1).to_string(),
                "submitted": count(2).to_string(),
                "missing": count(3).to_string(),
                "by_committee": rows(&by_committee, &by_committee.text),
                "members_list": rows(&members, &members.text),
            });
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
    }
    Ok(Outcome::Done)
}
