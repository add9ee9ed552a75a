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
    let (body, total): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| text(&r[0]) != "合计");
    (
        body.into_iter()
            .filter(|r| !matches!(r[0], Data::Empty))
            .collect(),
        total.into_iter().next(),
    )
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

    // 总览: every metric, value equal to headline.csv.
    let (overview, _) = sheet(&xlsx, "总览");
    assert_eq!(overview.len(), 24);
    for row in &overview {
        let id = text(&row[1]);
        assert!(close(num(&row[2]), h[&id]), "总览 {id}");
    }

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
    let (_, fin_total) = sheet(&xlsx, "金融支持按机构");
    assert!(close(num(&fin_total.unwrap()[3]), h["financing_facilitated"]));
    let (_, ev_total) = sheet(&xlsx, "活动统计");
    let ev_total = ev_total.unwrap();
    assert!(close(num(&ev_total[2]), h["events_total"]));
    assert!(close(num(&ev_total[3]), h["event_participants_total"]));

    // 同比: one column per year up to 2024, values equal each year's headline.
    let (yoy, _) = sheet(&xlsx, "同比");
    for row in &yoy {
        let id = text(&row[1]);
        assert!(close(num(&row[3]), h[&id]), "同比 2024 {id}");
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
fn headline_md_words_the_figures_as_the_materials_do() {
    let ws = Workspace::new();
    ws.generate(&["--members", "40", "--years", "2024", "--seed", "3"]);
    ws.run_year(2024);
    let h = headline(&ws, 2024);
    let md = std::fs::read_to_string(ws.outputs().join("2024/headline.md")).unwrap();
    let yi = |id: &str| format!("{:.2}", h[id] / 1e8);
    assert!(
        md.contains(&format!("年利税 {} 亿元", yi("profit_tax_total"))),
        "{md}"
    );
    assert!(md.contains(&format!("年捐赠 {} 亿元", yi("donations_total"))));
    assert!(md.contains(&format!("全年举办活动 {} 场", h["events_total"])));
    assert!(md.contains("`party_org_coverage_vp_plus`"));
}
