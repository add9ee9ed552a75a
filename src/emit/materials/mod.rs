//! The annual materials: the secretariat's own templates (`.docx` they edit
//! in Word or WPS, or `.md`) in `inputs/materials/`, filled from the
//! warehouse for the reporting year, every number phrased truthfully
//! (`phrase`) and traced to its source in `materials_sources.csv`.
//!
//! The contract is `shared/spec/materials.md`. A template that names
//! something unknown or does not parse is not rendered; its problems (the
//! file, the paragraph, the tag) go to the call-back list and the run goes
//! on. `headline.md` is a template of the same language, compiled in.

pub mod docx;
pub mod language;
pub mod names;
pub mod phrase;

use std::path::Path;

use anyhow::{Context as _, Result};
use minijinja::value::Value;
use minijinja::{Environment, ErrorKind, OutputSpanKind};

pub use crate::contract::materials::{is_template_name, TemplateFile, FOLDER, SOURCES_FILE};
use crate::ingest::{Disposition, Problem};
use language::{Trace, Traces};

/// One expression written, for `materials_sources.csv`.
#[derive(Debug, Clone)]
pub struct Written {
    pub template: String,
    pub paragraph: String,
    pub expression: String,
    pub trace: Trace,
}

/// Why a paragraph of a template cannot be rendered.
#[derive(Debug, Clone)]
pub struct TemplateError {
    pub paragraph: String,
    pub tag: String,
    pub reason: String,
}

/// Every rendered file of the year (paths under the year's folder), the
/// numbers they wrote, and the templates that could not be rendered.
#[derive(Default)]
pub struct Outputs {
    pub files: Vec<(String, Vec<u8>)>,
    pub written: Vec<Written>,
    pub problems: Vec<Problem>,
}

/// The environment with its trace, for one render.
pub struct Renderer {
    env: Environment<'static>,
    traces: Traces,
}

impl Default for Renderer {
    fn default() -> Self {
        let traces = Traces::default();
        Renderer {
            env: language::environment(traces.clone()),
            traces,
        }
    }
}

/// What one template source rendered to, with each expression's tag and
/// where its output starts.
pub struct Rendered {
    pub text: String,
    pub expressions: Vec<(usize, String, Trace)>,
}

impl Renderer {
    /// Render one template source with `names`; an error names the tag.
    pub fn render(&self, source: &str, names: &Value) -> Result<Rendered, (String, String)> {
        if let Ok(mut t) = self.traces.lock() {
            t.clear();
        }
        let failed = |e: minijinja::Error| (tag_of(source, e.range()), reason(&e));
        let tmpl = self.env.template_from_str(source).map_err(failed)?;
        let (text, spans) = tmpl.render_with_spans(names).map_err(failed)?;
        let traces = self
            .traces
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        let tags = docx::tag_ranges(source);
        let expressions = spans
            .iter()
            .filter(|s| s.kind() == OutputSpanKind::Expression)
            .zip(traces)
            .map(|(span, trace)| {
                let at = span.source_range().start;
                let tag = tags.iter().find(|r| r.start <= at && at < r.end).map_or_else(
                    || source[span.source_range()].to_string(),
                    |r| source[r.clone()].to_string(),
                );
                (span.output_range().start, unmarked(&tag), trace)
            })
            .collect();
        Ok(Rendered { text, expressions })
    }
}

/// A tag as the secretariat typed it (without the renderer's run marks).
fn unmarked(s: &str) -> String {
    s.chars()
        .filter(|c| !('\u{F0000}'..='\u{FFFFD}').contains(c))
        .collect()
}

/// The tag an error points at (the whole source when it points nowhere).
fn tag_of(source: &str, range: Option<std::ops::Range<usize>>) -> String {
    let tags = docx::tag_ranges(source);
    let at = range.map(|r| r.start);
    let tag = at
        .and_then(|at| tags.iter().find(|r| r.start <= at && at < r.end.max(r.start + 1)))
        .or(tags.first());
    unmarked(tag.map_or(source, |r| &source[r.clone()]))
}

/// The reason of a template error: one Chinese sentence, ` / `, English.
fn reason(e: &minijinja::Error) -> String {
    let detail = e.detail().unwrap_or_default();
    match e.kind() {
        ErrorKind::UndefinedError => format!(
            "模板中有未知的名称（不是指标代码、工作台账的指标代码或 year、years、银会合作、区域合作）/ the template names something unknown (not a metric id, a 工作台账 code or year, years, 银会合作, 区域合作){}",
            if detail.is_empty() { String::new() } else { format!(": {detail}") }
        ),
        ErrorKind::SyntaxError => format!("模板语法错误 / syntax error: {detail}"),
        ErrorKind::UnknownFilter => format!("未知的过滤器 / unknown filter: {detail}"),
        _ => format!("模板无法生成 / cannot render: {}", if detail.is_empty() { e.to_string() } else { detail.to_string() }),
    }
}

/// Render every template for the year with `names`.
pub fn render_all(templates: &[TemplateFile], names: &Value) -> Result<Outputs> {
    let renderer = Renderer::default();
    let mut out = Outputs::default();
    for t in templates {
        let bytes =
            std::fs::read(&t.abs).with_context(|| format!("cannot read the template {}", t.abs.display()))?;
        match render_template(&renderer, t, &bytes, names)? {
            Ok((files, written)) => {
                for w in written.iter().filter(|w| !w.trace.holds) {
                    tracing::warn!(
                        template = %w.template,
                        paragraph = %w.paragraph,
                        tag = %w.expression,
                        written = %w.trace.text,
                        "a phrase does not hold of its figure; the exact figure is written instead"
                    );
                }
                out.files.extend(files);
                out.written.extend(written);
            }
            Err(errors) => {
                tracing::warn!(template = %t.rel, problems = errors.len(), "the template is not rendered");
                out.problems.extend(errors.into_iter().map(|e| problem(t, e)));
            }
        }
    }
    if !templates.is_empty() {
        out.files.push((SOURCES_FILE.into(), sources_csv(&out.written)));
    }
    Ok(out)
}

type RenderedTemplate = (Vec<(String, Vec<u8>)>, Vec<Written>);

/// One template: its files (`materials/<name>.docx|.md`) and what it wrote,
/// or every paragraph that cannot be rendered.
pub fn render_template(
    renderer: &Renderer,
    t: &TemplateFile,
    bytes: &[u8],
    names: &Value,
) -> Result<Result<RenderedTemplate, Vec<TemplateError>>> {
    let mut written = Vec::new();
    let md_name = format!("{FOLDER}/{}.md", t.stem());
    if !t.is_docx() {
        let source =
            String::from_utf8(bytes.to_vec()).with_context(|| format!("{} is not UTF-8 text", t.rel))?;
        return Ok(match renderer.render(&source, names) {
            Ok(r) => {
                for (at, tag, trace) in r.expressions {
                    let paragraph = r.text[..at].matches("\n\n").count() + 1;
                    written.push(Written {
                        template: t.rel.clone(),
                        paragraph: paragraph.to_string(),
                        expression: tag,
                        trace,
                    });
                }
                Ok((vec![(md_name, r.text.into_bytes())], written))
            }
            Err((tag, reason)) => {
                let paragraph = source
                    .find(tag.as_str())
                    .map_or(1, |at| source[..at].matches("\n\n").count() + 1);
                Err(vec![TemplateError {
                    paragraph: paragraph.to_string(),
                    tag,
                    reason,
                }])
            }
        });
    }
    let rendered = docx::render(bytes, &mut |p: &docx::Source<'_>| {
        let r = renderer
            .render(p.source, names)
            .map_err(|(tag, reason)| TemplateError {
                paragraph: p.place.label(),
                tag,
                reason,
            })?;
        for (_, tag, trace) in r.expressions {
            written.push(Written {
                template: t.rel.clone(),
                paragraph: p.place.label(),
                expression: tag,
                trace,
            });
        }
        Ok(r.text)
    })
    .with_context(|| format!("cannot read the template {}", t.rel))?;
    Ok(rendered.map(|doc| {
        let md = docx_text(&doc.paragraphs);
        (
            vec![
                (format!("{FOLDER}/{}.docx", t.stem()), doc.bytes),
                (md_name, md.into_bytes()),
            ],
            written,
        )
    }))
}

/// A rendered document as Markdown text: the body's paragraphs, then each
/// header's and footer's lines.
fn docx_text(paragraphs: &[(docx::Place, String)]) -> String {
    let mut out = String::new();
    for (_, text) in paragraphs.iter().filter(|(p, t)| p.in_body() && !t.is_empty()) {
        out.push_str(text);
        out.push_str("\n\n");
    }
    for (place, text) in paragraphs.iter().filter(|(p, t)| !p.in_body() && !t.is_empty()) {
        out.push_str(&format!("{}：{text}\n\n", place.label()));
    }
    out
}

pub fn problem(t: &TemplateFile, e: TemplateError) -> Problem {
    Problem {
        level: Disposition::RejectedFile,
        path: t.rel.clone(),
        sheet: format!("段落 {}", e.paragraph),
        cell: String::new(),
        raw: e.tag,
        reason: format!("{}（材料模板未生成 / the template was not rendered）", e.reason),
        code: String::new(),
        subject: String::new(),
    }
}

/// `materials_sources.csv`: one row per expression written.
pub fn sources_csv(written: &[Written]) -> Vec<u8> {
    let rows: Vec<Vec<String>> = written
        .iter()
        .map(|w| {
            let f = w.trace.figure.as_deref();
            vec![
                w.template.clone(),
                w.paragraph.clone(),
                w.trace.text.clone(),
                w.expression.clone(),
                f.map_or_else(String::new, |f| f.name.clone()),
                f.filter(|f| f.year != 0)
                    .map_or_else(String::new, |f| f.year.to_string()),
                f.map_or_else(|| w.trace.text.clone(), |f| f.shown.clone()),
                f.map_or_else(String::new, |f| f.unit.clone()),
                if w.trace.holds { "是" } else { "否" }.to_string(),
                f.map_or_else(String::new, |f| f.source.clone()),
            ]
        })
        .collect();
    crate::util::csv::people_csv(
        &[
            "模板",
            "段落",
            "输出文本",
            "表达式",
            "指标",
            "年度",
            "精确值",
            "单位",
            "成立",
            "来源",
        ],
        &rows,
    )
}

/// Put the templates' problems in the warehouse, in place of the last
/// render's, so the call-back list shows them.
pub fn record_problems(conn: &duckdb::Connection, problems: &[Problem]) -> Result<()> {
    conn.execute("DELETE FROM problems WHERE path LIKE 'materials/%'", [])
        .context("cannot clear the templates' problems")?;
    let mut app = conn.appender("problems")?;
    for p in problems {
        app.append_row(duckdb::params![
            p.path,
            None::<i32>,
            p.level.label(),
            p.sheet,
            p.cell,
            p.raw,
            p.reason,
            p.code,
            p.subject
        ])?;
    }
    app.flush()?;
    Ok(())
}

/// Remove rendered documents of templates that are gone (files under the
/// year's `materials/` that this render did not write).
pub fn remove_stale(dir: &Path, files: &[(String, Vec<u8>)]) {
    let Ok(entries) = std::fs::read_dir(dir.join(FOLDER)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = format!("{FOLDER}/{}", entry.file_name().to_string_lossy());
        if !files.iter().any(|(f, _)| *f == name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A template named on the command line, as a [`TemplateFile`].
pub fn template_at(path: &Path) -> TemplateFile {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    TemplateFile {
        abs: path.to_path_buf(),
        rel: format!("{FOLDER}/{name}"),
        stat: None,
    }
}

#[cfg(test)]
mod tests {
    use super::language::Figure;
    use super::*;
    use crate::contract::metrics::Headline;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    /// The names of a year whose metric `id` (or the fact `x`) is `value`.
    fn names_with(id: &str, value: &str) -> Value {
        let h = match crate::contract::metrics::find(id) {
            Some(_) => Headline::zero(2024).with(id, value),
            None => Headline::zero(2024),
        };
        let value = Decimal::from_str(value).unwrap();
        let mut top = names::metric_figures(&h);
        top.insert(
            "x".into(),
            Value::from_object(Figure {
                name: "x".into(),
                year: 2024,
                value,
                unit: String::new(),
                shown: phrase::plain(value),
                source: "reference/工作台账.xlsx!工作台账!D3".into(),
                metric: None,
            }),
        );
        top.insert("year".into(), Value::from(2024));
        Value::from(top)
    }

    fn render(source: &str, names: &Value) -> Rendered {
        Renderer::default().render(source, names).unwrap()
    }

    /// Every example of the contract's table (shared/spec/materials.md),
    /// tag and text as written there.
    #[test]
    fn every_example_of_the_materials_contract() {
        let cases = [
            (
                "listed_or_leading",
                "612",
                "{{ listed_or_leading | 多 }}家",
                "600多家",
                true,
            ),
            (
                "china_private_top500",
                "38",
                "{{ china_private_top500 }}家",
                "38家",
                true,
            ),
            (
                "profit_tax_total",
                "102345000000.00",
                "{{ profit_tax_total | 超(\"亿\", 1, \"汉字\") }}元",
                "超千亿元",
                true,
            ),
            (
                "jobs_total",
                "5003210",
                "{{ jobs_total | 万(0) }}万个",
                "500万个",
                true,
            ),
            (
                "donations_total",
                "1030000000.00",
                "{{ donations_total | 超过(\"亿\") }}元",
                "超过10亿元",
                true,
            ),
            (
                "events_total",
                "487",
                "{{ events_total | 近 }}场次",
                "近500场次",
                true,
            ),
            (
                "financing_facilitated_cumulative",
                "370646000000.00",
                "{{ financing_facilitated_cumulative | 亿 }}亿元",
                "3706.46亿元",
                true,
            ),
            ("x", "20345", "{{ x | 余(\"万\") }}人", "2万余人", true),
            ("x", "96", "{{ x | 近(\"\", 1, \"汉字\") }}次", "近百次", true),
            ("x", "126", "{{ x | 上 }}个", "上百个", true),
            ("x", "153", "{{ x | 不少于(\"\", 2) }}次", "不少于150次", true),
            ("x", "600", "{{ x | 多 }}家", "600家", false),
        ];
        for (id, value, tag, want, holds) in cases {
            let r = render(tag, &names_with(id, value));
            assert_eq!(r.text, want, "{tag} of {value}");
            let (_, expression, trace) = &r.expressions[0];
            assert_eq!(expression, &tag[..tag.find("}}").unwrap() + 2]);
            assert_eq!(trace.holds, holds, "{tag} of {value}");
            assert_eq!(trace.figure.as_ref().unwrap().name, id);
        }
    }

    #[test]
    fn helpers_join_lists_and_compare_figures() {
        let names = names_with("bank_partners", "11");
        let r = render("{{ ['浦东', '青浦', '虹口'] | 顿号 }}", &names);
        assert_eq!(r.text, "浦东、青浦和虹口");
        let r = render(
            "{{ bank_partners | 增减(x) }}{{ jobs_total | 增减(x) }}{{ x | 增减(jobs_total) }}",
            &names,
        );
        assert_eq!(r.text, "持平减少增加");
        let r = render("{{ bank_partners | 折合 }}，{{ year }}", &names);
        assert_eq!(r.text, "11家，2024");
    }

    #[test]
    fn unknown_names_floats_and_bad_syntax_are_errors_naming_the_tag() {
        let names = names_with("jobs_total", "1");
        let failed = |source: &str| Renderer::default().render(source, &names).err().unwrap();
        let (tag, reason) = failed("前文{{ no_such_metric | 多 }}后文");
        assert_eq!(tag, "{{ no_such_metric | 多 }}");
        assert!(reason.contains("未知的名称"), "{reason}");
        let (_, reason) = failed("{{ 1.5 | 多 }}");
        assert!(reason.contains("需要一个数字"), "{reason}");
        let (tag, reason) = failed("a {{ jobs_total | 多( }} b");
        assert!(tag.starts_with("{{ jobs_total"), "{tag}");
        assert!(reason.contains("syntax error"), "{reason}");
        let (_, reason) = failed("{{ jobs_total | 大约 }}");
        assert!(reason.contains("unknown filter"), "{reason}");
        let (_, reason) = failed("{{ jobs_total | 多(\"千\") }}");
        assert!(reason.contains("scale"), "{reason}");
    }
}
