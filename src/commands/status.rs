//! `chamberstat check --status`: who has submitted and who has not, read
//! from the warehouse the last run left, for the secretariat's daily look
//! before the deadline. The same views as submission_status.csv and the
//! 报送情况 sheet (`queries/90_status.sql`), so the three never disagree.

use std::io::Write;

use anyhow::Result;
use rust_decimal::Decimal;

use super::common::Outcome;
use crate::config::Config;
use crate::emit::frames::{self, Frame, STATUS_BY_COMMITTEE, STATUS_BY_MEMBER};
use crate::util::print::{write_json, Format};

/// The columns of the committee table, as the 报送情况 sheet heads them.
const COMMITTEE: &str = "专委会";
const MEMBERS: &str = "会员企业(家)";
const SUBMITTED: &str = "已报送(家)";
const MISSING: &str = "未报送(家)";
const ROWS_REJECTED: &str = "被退回的数据行";
/// The member list's status column and its value for a member who has
/// not submitted.
const STATUS: &str = "报送状态";
const NOT_SUBMITTED: &str = "未报送";
/// What the list of members who have not submitted shows: the rest is
/// empty for them.
const MISSING_LIST: [&str; 5] = [
    "统一社会信用代码",
    "企业名称",
    "会员级别",
    "所属专委会",
    ROWS_REJECTED,
];

/// The 合计 row's count in the column headed `header` (0 without one).
fn total(frame: &Frame, header: &str) -> Result<Decimal> {
    let at = frame.column(header)?;
    Ok(frame
        .total
        .as_ref()
        .and_then(|t| t.get(at))
        .and_then(|t| t.parse::<Decimal>().ok())
        .unwrap_or_default())
}

pub fn status(config: &Config, year: Option<i32>, format: Format) -> Result<Outcome> {
    let conn = crate::load::open_read_only(&config.db)?;
    let years = crate::aggregate::years(&conn)?;
    let year = super::common::pick_year(year, &years)?;
    let by_committee = frames::breakdown(&conn, STATUS_BY_COMMITTEE, year)?;
    let members = frames::breakdown(&conn, STATUS_BY_MEMBER, year)?;
    let (n_members, submitted) = (total(&by_committee, MEMBERS)?, total(&by_committee, SUBMITTED)?);
    let rate = frames::rate_line(submitted, n_members);
    let status = members.column(STATUS)?;
    let missing: Vec<&Vec<String>> = members
        .text
        .iter()
        .filter(|r| r[status] == NOT_SUBMITTED)
        .collect();
    let mut out = std::io::stdout().lock();
    match format {
        Format::Table => {
            writeln!(
                out,
                "{year} 年度报送情况：{rate}，未报送 {} 家，被退回的数据行 {} 行\n",
                total(&by_committee, MISSING)?,
                total(&by_committee, ROWS_REJECTED)?
            )?;
            let columns = [COMMITTEE, MEMBERS, SUBMITTED, MISSING, ROWS_REJECTED];
            let rows = by_committee.text.iter().chain(by_committee.total.iter());
            by_committee.select(&columns, rows)?.write_aligned(&mut out)?;
            writeln!(out, "\n未报送的会员企业（{} 家）：", missing.len())?;
            members.select(&MISSING_LIST, missing)?.write_aligned(&mut out)?;
        }
        Format::Csv => {
            // The member list, as submission_status.csv (no BOM on stdout).
            let bytes = crate::emit::summary_xlsx::csv(&members);
            out.write_all(&bytes[crate::util::csv::BOM.len()..])?;
        }
        Format::Json => {
            let v = serde_json::json!({
                "year": year,
                "rate": rate,
                "members": n_members.to_string(),
                "submitted": submitted.to_string(),
                "missing": total(&by_committee, MISSING)?.to_string(),
                "by_committee": by_committee.objects(),
                "members_list": members.objects(),
            });
            write_json(&mut out, &v)?;
        }
    }
    Ok(Outcome::Done)
}
