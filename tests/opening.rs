//! 期初累计 (opening balances): the materials' 累计促成金融支持 counts years
//! before any workbook was collected. A balance as of 31 Dec of a year B is
//! the start; later years are added on top; the latest applicable balance
//! wins; `explain` lists it as its own line.

mod common;

use common::{write_sheet, Workspace, V};
use rust_decimal::Decimal;
use std::str::FromStr;

fn headline_value(ws: &Workspace, year: i32, metric: &str) -> Decimal {
    let text = std::fs::read_to_string(ws.outputs().join(format!("{year}/headline.csv"))).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{metric},")))
        .unwrap();
    Decimal::from_str(line.split(',').nth(1).unwrap()).unwrap()
}

/// Facilitated financing of one year alone, from the warehouse.
fn yearly(ws: &Workspace, year: i32) -> Decimal {
    headline_value(ws, year, "financing_facilitated")
}

fn balances(ws: &Workspace, rows: &[(&str, &str, f64)]) {
    let mut cells = vec![
        (0, 0, V::S("期初累计（单位：万元）")),
        (1, 0, V::S("指标")),
        (1, 1, V::S("截至日期")),
        (1, 2, V::S("金额（万元）")),
        (1, 3, V::S("说明")),
    ];
    for (i, (metric, date, amount)) in rows.iter().enumerate() {
        let r = i as u32 + 2;
        cells.push((r, 0, V::S(metric)));
        cells.push((r, 1, V::S(date)));
        cells.push((r, 2, V::N(*amount)));
        cells.push((r, 3, V::S("2021 年工作报告")));
    }
    write_sheet(&ws.inputs().join("reference/期初累计.xlsx"), "期初累计", &cells);
}

#[test]
fn opening_balance_starts_the_cumulative_figure_and_later_years_add_on_top() {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        "60",
        "--years",
        "2023,2024",
        "--seed",
        "4",
        "--traps",
        "0",
    ]);
    ws.run_year(2023);
    ws.run_year(2024);
    let (f2023, f2024) = (yearly(&ws, 2023), yearly(&ws, 2024));
    assert!(f2023 > Decimal::ZERO && f2024 > Decimal::ZERO);
    assert_eq!(
        headline_value(&ws, 2024, "financing_facilitated_cumulative"),
        f2023 + f2024
    );

    // As of 2022-12-31: 100,000 万元 = 1,000,000,000 元, then 2023 and 2024 on top.
    // A balance dated mid-year is rejected with its cell named.
    balances(
        &ws,
        &[
            ("累计促成金融支持", "2022-12-31", 100_000.0),
            ("financing_facilitated_cumulative", "2023-06-30", 999.0),
        ],
    );
    ws.run_year(2024);
    let opening = Decimal::from(1_000_000_000);
    assert_eq!(
        headline_value(&ws, 2024, "financing_facilitated_cumulative"),
        opening + f2023 + f2024
    );
    let rejects = std::fs::read(ws.outputs().join("2024/rejects.csv")).unwrap();
    let rejects = String::from_utf8_lossy(&rejects);
    assert!(
        rejects.contains("reference/期初累计.xlsx,期初累计,B4") && rejects.contains("12 月 31 日"),
        "{rejects}"
    );

    // explain: the balance is a line of its own and the lines add up.
    let v = ws.json(
        &[
            "explain",
            "financing_facilitated_cumulative",
            "--year",
            "2024",
            "--format",
            "json",
        ],
        Some(0),
    );
    assert_eq!(v["total"], format!("{:.2}", opening + f2023 + f2024));
    let lines = v["lines"]
        .as_array()
        .or_else(|| v["rows"].as_array())
        .expect("explain lines");
    assert!(
        lines.iter().any(|l| l.to_string().contains("期初累计")),
        "no 期初累计 line: {v}"
    );

    // A later balance (as of 2023-12-31) replaces the earlier one: 2024 is
    // that balance plus 2024 alone; 2023 is the balance itself.
    balances(
        &ws,
        &[
            ("累计促成金融支持", "2022-12-31", 100_000.0),
            ("累计促成金融支持", "2023-12-31", 500_000.0),
        ],
    );
    ws.run_year(2024);
    ws.run_year(2023);
    let later = Decimal::from(5_000_000_000i64);
    assert_eq!(
        headline_value(&ws, 2024, "financing_facilitated_cumulative"),
        later + f2024
    );
    assert_eq!(
        headline_value(&ws, 2023, "financing_facilitated_cumulative"),
        later
    );
}

#[test]
fn a_balance_applies_from_its_own_year_on_and_earlier_years_sum_the_warehouse() {
    let ws = Workspace::new();
    ws.generate(&[
        "--members",
        "40",
        "--years",
        "2023,2024",
        "--seed",
        "6",
        "--traps",
        "0",
    ]);
    balances(&ws, &[("累计促成金融支持", "2024-12-31", 100_000.0)]);
    ws.run_year(2023);
    ws.run_year(2024);
    // 2023 < B = 2024: the sum over the warehouse, as without a balance.
    assert_eq!(
        headline_value(&ws, 2023, "financing_facilitated_cumulative"),
        yearly(&ws, 2023)
    );
    // 2024 = B: the balance alone (it includes 2024).
    assert_eq!(
        headline_value(&ws, 2024, "financing_facilitated_cumulative"),
        Decimal::from(1_000_000_000)
    );
}
