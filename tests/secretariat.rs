//! What the secretariat pastes and prints: summary.xlsx read back with
//! calamine must hold exactly the warehouse's figures, every breakdown must
//! add up to its headline figure, and headline.md must agree with
//! headline.csv.

mod common;

use std::collections::HashMap;

use calamine::{open_workbook_auto, Data, Reader};
use common::Workspace;

fn headline(ws: &Workspace, year: i32) -> HashMap<String, f64> {
    std::fs::read_to_string(ws.outputs().join(format!("{year}/headline.csv")))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let mut p = l.split(',');
            (p.next().unwrap().to_string(), p.next().unwrap().parse().unwrap())
        })
        .collect()
}

fn num(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("expected a number, found {other:?}"),
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Rows below the header (row 2) of a sheet, without the 合计 row, and the 合计 row.
fn sheet(path: &std::path::Path, name: &str) -> (Vec<Vec<Data>>, Option<Vec<Data>>) {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(name).unwrap();
    let rows: Vec<Vec<Data>> = range.rows().skip(2).map(|r| r.to_vec()).collect();
    // Note lines (注：…) under the table are not data.
    let rows = rows.into_iter().filter(|r| !text(&r[0]).starts_with("注："));
    let (body, total): (Vec<_>, Vec<_>) = rows.partition(|r| text(&r[0]) != "合计");
    (
        body.into_iter()
            .filter(|r| !matches!(r[0], Data::Empty))
            .collect(),
        total.into_iter().next(),
    )
}

/// How the materials scale a metric: (divisor, unit).
fn scale(id: &str) -> Option<(f64, &'static str)> {
    match id {
        "jobs_total" => Some((1e4, "万个")),
        "event_participants_total" => Some((1e4, "万人次")),
        "revenue_total"
        | "profit_tax_total"
        | "tax_total"
        | "donations_total"
        | "financing_facilitated"
        | "financing_facilitated_cumulative"
        | "bank_credit_lines_cumulative"
        | "investment_landed_cumulative" => Some((1e8, "亿元")),
        _ => None,
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

#[test]
fn summary_workbook_holds_the_warehouse_figures_and_breakdowns_add_up() {
    let ws = Workspace::new();
    ws.generate(&["--members", "80", "--years", "2023,2024", "--seed", "14"]);
    ws.run_year(2024);
    let h = headline(&ws, 2024);
    let xlsx = ws.outputs().join("2024/summary.xlsx");

    // 总览: every metric, value equal to headline.csv, the scaled figure
    // with its unit written on its own row.
    let (overview, _) = sheet(&xlsx, "总览");
    assert_eq!(overview.len(), 24);
    for row in &overview {
        let id = text(&row[5]);
        assert!(close(num(&row[1]), h[&id]), "总览 {id}");
        if let Some((by, unit)) = scale(&id) {
            assert!(close(num(&row[3]), round2(h[&id] / by)), "总览 折合 {id}");
            assert_eq!(text(&row[4]), unit, "总览 折合单位 {id}");
        }
    }
    let district = overview
        .iter()
        .find(|r| text(&r[5]) == "district_partners")
        .unwrap();
    assert_eq!(text(&district[2]), "个", "districts are counted in 个");

    // 分专委会: each row equals the breakdown view; totals equal the headline.
    let conn = duckdb::Connection::open(ws.db()).unwrap();
    let (rows, total) = sheet(&xlsx, "分专委会");
    let mut stmt = conn
        .prepare("SELECT committee, members, reporting, CAST(profit_tax AS DOUBLE), jobs, CAST(donations AS DOUBLE), CAST(financing_facilitated AS DOUBLE), events FROM breakdown_by_committee WHERE year = 2024")
        .unwrap();
    let view: HashMap<String, Vec<f64>> = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                vec![
                    r.get::<_, i64>(1)? as f64,
                    r.get::<_, i64>(2)? as f64,
                    r.get(3)?,
                    r.get::<_, i64>(4)? as f64,
                    r.get(5)?,
                    r.get(6)?,
                    r.get::<_, i64>(7)? as f64,
                ],
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), view.len());
    for row in &rows {
        let want = &view[&text(&row[0])];
        for (i, w) in want.iter().enumerate() {
            assert!(
                close(num(&row[i + 1]), *w),
                "分专委会 {} column {}",
                text(&row[0]),
                i + 1
            );
        }
    }
    let total = total.expect("a 合计 row");
    for (col, id) in [
        (1, "member_companies"),
        (2, "reporting_companies"),
        (3, "profit_tax_total"),
        (4, "jobs_total"),
        (5, "donations_total"),
        (6, "financing_facilitated"),
        (7, "events_total"),
    ] {
        assert!(close(num(&total[col]), h[id]), "分专委会 合计 {id}");
        let sum: f64 = rows.iter().map(|r| num(&r[col])).sum();
        assert!(close(sum, h[id]), "分专委会 column sum {id}");
    }

    // 分会员级别, 金融支持按机构, 活动统计: totals equal the headline.
    let (_, tier_total) = sheet(&xlsx, "分会员级别");
    let tier_total = tier_total.unwrap();
    for (col, id) in [
        (1, "member_companies"),
        (2, "reporting_companies"),
        (3, "profit_tax_total"),
        (4, "jobs_total"),
        (5, "donations_total"),
    ] {
        assert!(close(num(&tier_total[col]), h[id]), "分会员级别 合计 {id}");
    }
    let (fin_rows, fin_total) = sheet(&xlsx, "金融支持按机构");
    let fin_total = fin_total.unwrap();
    assert!(close(num(&fin_total[3]), h["financing_facilitated"]));
    // 企业(家) is a distinct count: a company financed by two banks is one.
    assert!(
        close(num(&fin_total[2]), h["financed_companies"]),
        "金融支持 合计 企业"
    );
    let rows_total: f64 = fin_rows.iter().map(|r| num(&r[1])).sum();
    assert!(close(num(&fin_total[1]), rows_total), "金融支持 合计 笔数");
    let fin_rows_db = ws.query_i64("SELECT count(*) FROM financing_facilitated_rows WHERE year = 2024");
    assert!(close(num(&fin_total[1]), fin_rows_db as f64));
    let (_, ev_total) = sheet(&xlsx, "活动统计");
    let ev_total = ev_total.unwrap();
    assert!(close(num(&ev_total[2]), h["events_total"]));
    assert!(close(num(&ev_total[3]), h["event_participants_total"]));

    // 同比: one column per year up to 2024, values equal each year's
    // headline in the unit written on the row; a percentage changes in
    // 个百分点 and has no rate.
    let (yoy, _) = sheet(&xlsx, "同比");
    for row in &yoy {
        let id = text(row.last().unwrap());
        let want = scale(&id).map_or(h[&id], |(by, _)| round2(h[&id] / by));
        assert!(close(num(&row[3]), want), "同比 2024 {id}");
        let unit = text(&row[1]);
        assert!(!unit.is_empty() && unit != "元", "同比 {id} unit {unit}");
        if id == "party_org_coverage_vp_plus" {
            assert_eq!(text(&row[5]), "个百分点");
            assert!(matches!(row[6], Data::Empty), "no rate for a percentage");
        }
    }
    // A chart is part of the workbook.
    let bytes = std::fs::read(&xlsx).unwrap();
    assert!(
        bytes.windows(20).any(|w| w == b"xl/charts/chart1.xml"),
        "a chart in summary.xlsx"
    );
    // Each breakdown also as CSV.
    for csv in [
        "breakdown_by_committee.csv",
        "breakdown_by_tier.csv",
        "financing_by_institution.csv",
        "events_by_committee_and_type.csv",
        "data_quality.csv",
    ] {
        assert!(ws.outputs().join("2024").join(csv).is_file(), "{csv}");
    }
}

#[test]
fn headline_md_is_paste_ready_text_first_then_a_section_for_checkers() {
    let ws = Workspace::new();
    ws.generate(&["--members", "40", "--years", "2024", "--seed", "3"]);
    ws.run_year(2024);
    let h = headline(&ws, 2024);
    let md = std::fs::read_to_string(ws.outputs().join("2024/headline.md")).unwrap();
    let (paste, checkers) = md
        .split_once("\n---\n")
        .expect("a rule before the checkers' section");
    let yi = |id: &str| {
        let s = format!("{:.2}", h[id] / 1e8);
        s.strip_suffix(".00").map(str::to_string).unwrap_or(s)
    };
    assert!(
        paste.contains(&format!("报送企业年利税{}亿元", yi("profit_tax_total"))),
        "{paste}"
    );
    assert!(
        paste.contains(&format!("年捐赠{}亿元", yi("donations_total"))),
        "{paste}"
    );
    assert!(
        paste.contains(&format!("全年举办活动{}场", h["events_total"])),
        "{paste}"
    );
    assert!(
        paste.contains(&format!("先后和{}家银行", h["bank_partners"])),
        "{paste}"
    );
    for jargon in ["chamberstat", "headline.csv", "`", "|", "四舍五入"] {
        assert!(
            !paste.contains(jargon),
            "{jargon} in the paste-ready text:\n{paste}"
        );
    }
    assert!(checkers.contains("`party_org_coverage_vp_plus`"));
    assert!(checkers.contains("四舍五入"));
}

/// Every CSV a person opens in Excel starts with a UTF-8 BOM (Excel on a
/// Chinese desktop reads one without it as GBK); headline.csv keeps the
/// output contract: no BOM.
#[test]
fn people_csvs_carry_a_utf8_bom_and_headline_csv_does_not() {
    let ws = Workspace::new();
    ws.generate(&["--members", "40", "--years", "2024", "--seed", "3"]);
    ws.run_year(2024);
    let dir = ws.outputs().join("2024");
    let mut people = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name == "headline.csv" {
                assert!(bytes.starts_with(b"metric,value,unit\n"), "{name}");
            } else {
                assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{name} has no BOM");
                people += 1;
            }
        }
    }
    assert!(people >= 8, "rejects, anomalies and the breakdowns: {people}");
}

/// The workbooks name a Chinese font, so print-outs do not depend on what
/// the machine falls back to.
#[test]
fn workbooks_set_a_cjk_font() {
    let ws = Workspace::new();
    ws.generate(&["--members", "40", "--years", "2024", "--seed", "3"]);
    ws.run_year(2024);
    for name in ["summary.xlsx", "rejects.xlsx"] {
        let file = std::fs::File::open(ws.outputs().join("2024").join(name)).unwrap();
        let mut zip = zip::ZipArchive::new(file).unwrap();
        let mut styles = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/styles.xml").unwrap(), &mut styles).unwrap();
        assert!(styles.contains("等线"), "{name} sets 等线");
        assert!(!styles.contains("Calibri"), "{name} still uses Calibri somewhere");
    }
}
