//! The annual materials: the secretariat's templates filled from the
//! warehouse through the real binary. The rendered documents are read back
//! here with a reader of this test's own (the zip, then each paragraph's
//! `<w:t>` texts), never with the renderer's.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::Workspace;

/// The unescaped text of every `<w:t>` between `from` and `to`.
fn texts_between(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<w:t") {
        let after = &rest[i + 4..];
        // `<w:tab/>`, `<w:tbl>`, `<w:tc>` … are not text.
        if !after.starts_with('>') && !after.starts_with(' ') {
            rest = after;
            continue;
        }
        let open_end = after.find('>').unwrap();
        if after[..open_end].ends_with('/') {
            rest = &after[open_end..];
            continue;
        }
        let body = &after[open_end + 1..];
        let close = body.find("</w:t>").unwrap();
        out.push_str(&unescape(&body[..close]));
        rest = &body[close..];
    }
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').unwrap() + i;
        let name = &rest[i + 1..end];
        match name {
            "amp" => out.push('&'),
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "quot" => out.push('"'),
            "apos" => out.push('\''),
            n if n.starts_with("#x") => {
                out.push(char::from_u32(u32::from_str_radix(&n[2..], 16).unwrap()).unwrap())
            }
            n => out.push(char::from_u32(n[1..].parse().unwrap()).unwrap()),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Each paragraph's text of one part of a .docx.
fn paragraphs(docx: &Path, part: &str) -> Vec<String> {
    let xml = entry(docx, part)
        .map(|b| String::from_utf8(b).unwrap())
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut rest = xml.as_str();
    while let Some(i) = rest.find("<w:p>").into_iter().chain(rest.find("<w:p ")).min() {
        let body = &rest[i..];
        let end = body.find("</w:p>").unwrap();
        out.push(texts_between(&body[..end]));
        rest = &body[end..];
    }
    out
}

fn entry(docx: &Path, name: &str) -> Option<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(docx).unwrap()).unwrap();
    let mut e = zip.by_name(name).ok()?;
    let mut out = Vec::new();
    e.read_to_end(&mut out).unwrap();
    Some(out)
}

fn entries(docx: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(docx).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut e = zip.by_index(i).unwrap();
            let mut out = Vec::new();
            e.read_to_end(&mut out).unwrap();
            (e.name().unwrap().into_owned(), out)
        })
        .collect()
}

fn samples() -> Workspace {
    let ws = Workspace::new();
    common::copy_dir(&common::samples().join("inputs"), &ws.inputs());
    ws
}

#[test]
fn the_sample_template_renders_to_the_expected_text_and_keeps_everything_else() {
    let ws = samples();
    let expected_dir = common::samples().join("expected");
    let headline = ws.run_year(2024);
    assert_eq!(
        headline,
        std::fs::read_to_string(expected_dir.join("headline-2024.csv")).unwrap(),
        "the samples' figures must not move"
    );
    let out = ws.outputs().join("2024/materials/样例材料.docx");
    let mut text = String::new();
    for p in paragraphs(&out, "word/document.xml") {
        text.push_str(&p);
        text.push('\n');
    }
    for p in paragraphs(&out, "word/header1.xml") {
        text.push_str(&format!("页眉：{p}\n"));
    }
    let expected = std::fs::read_to_string(expected_dir.join("materials-2024.txt")).unwrap();
    assert_eq!(text, expected);
    // Every part of the template without a tag is byte for byte the same.
    let template = ws.inputs().join("materials/样例材料.docx");
    let rendered: std::collections::BTreeMap<_, _> = entries(&out).into_iter().collect();
    for (name, bytes) in entries(&template) {
        let has_tag = String::from_utf8_lossy(&bytes).contains("{{");
        let new = rendered.get(&name).unwrap_or_else(|| panic!("{name} lost"));
        if !has_tag {
            assert!(*new == bytes, "{name} changed though it holds no tag");
        } else {
            assert!(
                !String::from_utf8_lossy(new).contains("{{"),
                "{name} still holds a tag"
            );
        }
    }
    // The Markdown beside it, and the sources of every number.
    let md = std::fs::read_to_string(ws.outputs().join("2024/materials/样例材料.md")).unwrap();
    assert!(md.contains("会员企业38家"), "{md}");
    let sources = std::fs::read_to_string(ws.outputs().join("2024/materials_sources.csv")).unwrap();
    let header = sources.lines().next().unwrap().trim_start_matches('\u{feff}');
    assert_eq!(
        header,
        "模板,段落,输出文本,表达式,指标,年度,精确值,单位,成立,来源"
    );
    let events = sources.lines().find(|l| l.contains("events_total | 近")).unwrap();
    assert!(events.contains(",338,") && events.contains(",否,"), "{events}");
    assert!(
        events.contains("chamberstat explain events_total --year 2024"),
        "{events}"
    );
    let branches = sources.lines().find(|l| l.contains("{{ 党支部数 }}")).unwrap();
    assert!(
        branches.contains("reference/工作台账.xlsx!工作台账!D4"),
        "{branches}"
    );
    let listed = sources
        .lines()
        .find(|l| l.contains("listed_or_leading | 多"))
        .unwrap();
    assert!(listed.contains(",10多,") && listed.contains(",是,"), "{listed}");
}

#[test]
fn ledger_rows_with_a_bad_code_or_a_repeated_year_are_rejected_with_reasons() {
    let ws = samples();
    ws.run_year(2024);
    let rejects = std::fs::read_to_string(ws.outputs().join("2024/rejects.csv")).unwrap();
    let bad = rejects
        .lines()
        .find(|l| l.contains("1坏代码"))
        .unwrap_or_else(|| panic!("{rejects}"));
    assert!(
        bad.contains("工作台账") && bad.contains("A8") && bad.contains("digit"),
        "{bad}"
    );
    let repeat = rejects
        .lines()
        .find(|l| l.contains("工作台账") && l.contains("第 4 行"))
        .unwrap_or_else(|| panic!("{rejects}"));
    assert!(
        repeat.contains("党支部数") && repeat.contains("duplicate"),
        "{repeat}"
    );
    // The fact behind a number, to the cell.
    let out = ws
        .cmd(&["explain", "党支部数", "--year", "2024", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(
        listing.contains("工作台账") && listing.contains("D4") && listing.contains("12"),
        "{listing}"
    );
}

/// A .docx written here with docx-rs: a tag cut across three runs, a tag
/// in a table cell and one in the header.
fn split_run_docx(path: &Path, body_tag: &[&str]) {
    use docx_rs::*;
    let mut p = Paragraph::new().add_run(Run::new().add_text("会员"));
    for piece in body_tag {
        p = p.add_run(Run::new().bold().add_text(*piece));
    }
    p = p.add_run(Run::new().add_text("家。"));
    let table = Table::new(vec![TableRow::new(vec![
        TableCell::new().add_paragraph(Paragraph::new().add_run(Run::new().add_text("年度"))),
        TableCell::new().add_paragraph(Paragraph::new().add_run(Run::new().add_text("{{ year }}"))),
    ])]);
    let header = Header::new().add_paragraph(Paragraph::new().add_run(Run::new().add_text("{{ year }}年报")));
    let mut bytes = std::io::Cursor::new(Vec::new());
    Docx::new()
        .header(header)
        .add_paragraph(p)
        .add_table(table)
        .build()
        .pack(&mut bytes)
        .unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::File::create(path)
        .unwrap()
        .write_all(&bytes.into_inner())
        .unwrap();
}

#[test]
fn tags_cut_across_runs_in_cells_and_headers_render() {
    let ws = samples();
    split_run_docx(
        &ws.inputs().join("materials/拆分.docx"),
        &["{{ member_", "compa", "nies }}"],
    );
    ws.run_year(2024);
    let out = ws.outputs().join("2024/materials/拆分.docx");
    let body = paragraphs(&out, "word/document.xml");
    assert!(body.contains(&"会员38家。".to_string()), "{body:?}");
    assert!(body.contains(&"2024".to_string()), "{body:?}");
    assert_eq!(paragraphs(&out, "word/header1.xml"), ["2024年报"]);
    // The figure takes the formatting of the run where the tag started.
    let xml = String::from_utf8(entry(&out, "word/document.xml").unwrap()).unwrap();
    let at = xml.find(">38<").unwrap();
    let run_start = xml[..at].rfind("<w:r>").unwrap();
    assert!(xml[run_start..at].contains("<w:b"), "{}", &xml[run_start..at]);
}

#[test]
fn a_template_naming_something_unknown_is_reported_and_the_night_goes_on() {
    let ws = samples();
    split_run_docx(
        &ws.inputs().join("materials/坏模板.docx"),
        &["{{ no_such_", "figure }}"],
    );
    ws.run_year(2024);
    assert!(!ws.outputs().join("2024/materials/坏模板.docx").exists());
    assert!(ws.outputs().join("2024/materials/样例材料.docx").exists());
    let rejects = std::fs::read_to_string(ws.outputs().join("2024/rejects.csv")).unwrap();
    let line = rejects
        .lines()
        .find(|l| l.contains("坏模板.docx"))
        .unwrap_or_else(|| panic!("{rejects}"));
    assert!(
        line.contains("{{ no_such_figure }}") && line.contains("段落 1") && line.contains("未知的名称"),
        "{line}"
    );
    // `check` says the same before the night.
    let out = ws
        .cmd(&[
            "check",
            &ws.inputs().join("materials/坏模板.docx").to_string_lossy(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no_such_figure"));
    let good = ws
        .cmd(&[
            "check",
            &ws.inputs().join("materials/样例材料.docx").to_string_lossy(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stdout)
    );
}

#[test]
fn a_changed_template_renders_again_and_materials_renders_without_a_load() {
    let ws = samples();
    common::age_tree(&ws.inputs());
    ws.run_year(2024);
    let md = ws.inputs().join("materials/简报.md");
    std::fs::write(&md, "{{ year }}年会员企业{{ member_companies }}家。\n").unwrap();
    common::set_age(&md, 60);
    ws.run_year(2024);
    let out = ws.outputs().join("2024/materials/简报.md");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "2024年会员企业38家。\n");
    std::fs::remove_file(&out).unwrap();
    let run = ws.cmd(&["materials", "--year", "2024"]).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "2024年会员企业38家。\n");
}
