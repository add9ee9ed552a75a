//! A `.docx` template rendered inside the document. Word and WPS cut typed
//! text into runs at will (spell-check, language, edits), so a tag is
//! found in a paragraph's text, not in a run: each paragraph's `<w:t>`
//! texts are joined, rendered as one template, and the result is put back
//! into the same text elements — what a tag writes into the one where the
//! tag starts, so it takes that run's formatting, and the text after it
//! into the element it was in. Nothing else of the package changes: a part
//! with no tag is copied as it is (the same compressed bytes), and in a
//! part with tags only the text of tagged paragraphs is replaced.
//!
//! Written by hand over `quick-xml`'s reader because no crate edits a
//! document in place: docx crates read a document into their own model and
//! write it back out, which drops what they do not model.

use std::io::{Cursor, Read, Write};
use std::ops::Range;

use anyhow::{Context, Result};
use quick_xml::events::Event;
use quick_xml::Reader;

/// The parts whose paragraphs may hold tags.
fn renders(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "word/document.xml"
        || name == "word/footnotes.xml"
        || name == "word/endnotes.xml"
        || (name.starts_with("word/header") || name.starts_with("word/footer")) && name.ends_with(".xml")
}

/// Where a paragraph is: its part and its number there (1-based, in
/// document order, nested paragraphs of text boxes and tables included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub part: String,
    pub paragraph: usize,
}

impl Place {
    /// `3` in the body, `页眉1·2` in the first header's second paragraph.
    pub fn label(&self) -> String {
        let base = self.part.rsplit('/').next().unwrap_or(&self.part);
        let kind = if base.starts_with("header") {
            "页眉"
        } else if base.starts_with("footer") {
            "页脚"
        } else if base.starts_with("footnotes") {
            "脚注"
        } else if base.starts_with("endnotes") {
            "尾注"
        } else {
            return self.paragraph.to_string();
        };
        let n: String = base.chars().filter(char::is_ascii_digit).collect();
        format!("{kind}{n}·{}", self.paragraph)
    }

    pub fn in_body(&self) -> bool {
        self.part == "word/document.xml"
    }
}

/// One `<w:t>` of a paragraph: where its start tag and its text are in the
/// part, and the text.
#[derive(Debug)]
struct TextNode {
    start_tag: Range<usize>,
    content: Range<usize>,
    text: String,
}

#[derive(Debug)]
struct Paragraph {
    start: usize,
    nodes: Vec<TextNode>,
}

/// The paragraphs of a part, in document order.
fn paragraphs(xml: &str) -> Result<Vec<Paragraph>> {
    let mut reader = Reader::from_str(xml);
    let mut open: Vec<Paragraph> = Vec::new();
    let mut done: Vec<Paragraph> = Vec::new();
    let mut text: Option<TextNode> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().context("the part is not well-formed XML")?;
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(e) if e.name().as_ref() == "w:p" => open.push(Paragraph {
                start: before,
                nodes: Vec::new(),
            }),
            Event::End(e) if e.name().as_ref() == "w:p" => done.extend(open.pop()),
            Event::Start(e) if e.name().as_ref() == "w:t" => {
                text = Some(TextNode {
                    start_tag: before..after,
                    content: after..after,
                    text: String::new(),
                })
            }
            Event::Text(t) => {
                if let Some(node) = text.as_mut() {
                    node.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(node) = text.as_mut() {
                    node.text.push(entity(&r)?);
                }
            }
            Event::End(e) if e.name().as_ref() == "w:t" => {
                if let (Some(mut node), Some(p)) = (text.take(), open.last_mut()) {
                    node.content.end = before;
                    p.nodes.push(node);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    done.sort_by_key(|p| p.start);
    Ok(done)
}

/// The character an entity or character reference stands for.
fn entity(r: &quick_xml::events::BytesRef<'_>) -> Result<char> {
    if let Some(c) = r.resolve_char_ref()? {
        return Ok(c);
    }
    Ok(match r.as_ref() {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        other => anyhow::bail!("unknown entity &{other};"),
    })
}

/// The first of the characters that stand for "the text element with this
/// index starts here" in a paragraph's template (Unicode's private use
/// plane 15: no document text uses it).
const MARK: u32 = 0xF_0000;
const MARKS: u32 = 0xF_FFFD - MARK;

fn mark(i: usize) -> Option<char> {
    u32::try_from(i)
        .ok()
        .filter(|i| *i < MARKS)
        .and_then(|i| char::from_u32(MARK + i))
}

fn mark_index(c: char) -> Option<usize> {
    let c = c as u32;
    (MARK..MARK + MARKS).contains(&c).then(|| (c - MARK) as usize)
}

/// The byte ranges of the tags (`{{ … }}`, `{% … %}`, `{# … #}`) of a text;
/// an unclosed tag runs to the end.
pub fn tag_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find('{').map(|i| at + i) {
        let close = match text.get(i + 1..i + 2) {
            Some("{") => "}}",
            Some("%") => "%}",
            Some("#") => "#}",
            _ => {
                at = i + 1;
                continue;
            }
        };
        let end = text[i + 2..].find(close).map_or(text.len(), |j| i + 2 + j + 2);
        out.push(i..end);
        at = end;
    }
    out
}

pub fn has_tags(text: &str) -> bool {
    !tag_ranges(text).is_empty()
}

/// A paragraph's texts as one template: each element's text after a mark
/// of its index, except where the element starts inside a tag (a tag Word
/// cut across runs): its mark then follows the tag, and an element wholly
/// inside a tag gets none (it is left empty).
fn marked_source(texts: &[&str]) -> Result<String> {
    let joined: String = texts.concat();
    anyhow::ensure!(
        !joined.chars().any(|c| mark_index(c).is_some()),
        "the paragraph holds characters of Unicode's private use plane 15, which the renderer reserves"
    );
    let tags = tag_ranges(&joined);
    let mut marks: Vec<(usize, char)> = Vec::new();
    let mut start = 0;
    for (i, t) in texts.iter().enumerate() {
        let end = start + t.len();
        let at = tags
            .iter()
            .find(|r| r.start < start && start < r.end)
            .map_or(start, |r| r.end);
        if i == 0 || (at < end && !t.is_empty()) {
            marks.push((at, mark(i).context("a paragraph of too many runs")?));
        }
        start = end;
    }
    let mut out = String::with_capacity(joined.len() + 4 * marks.len());
    let mut from = 0;
    for (at, m) in marks {
        out.push_str(&joined[from..at]);
        out.push(m);
        from = at;
    }
    out.push_str(&joined[from..]);
    Ok(out)
}

/// The rendered text of each element, from a rendered marked source: what
/// follows a mark belongs to its element (a loop may write one twice; a
/// condition may drop one, which is then empty).
fn split_marked(rendered: &str, n: usize) -> Vec<String> {
    let mut out = vec![String::new(); n];
    let mut current = 0;
    for c in rendered.chars() {
        match mark_index(c) {
            Some(i) if i < n => current = i,
            Some(_) => {}
            None => out[current].push(c),
        }
    }
    out
}

/// A paragraph to render: where it is and its template source, in which
/// marks (private-use characters) stand for run boundaries and must be
/// written through unchanged.
pub struct Source<'a> {
    pub place: Place,
    pub source: &'a str,
}

/// What rendering a document gave: the new package and every paragraph's
/// text, in order.
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub paragraphs: Vec<(Place, String)>,
}

/// Render every tagged paragraph of the package `bytes` through `render`
/// (its output keeps the marks of the source). `Err` from `render` for any
/// paragraph: its message is collected and nothing is written.
pub fn render<E>(
    bytes: &[u8],
    render: &mut dyn FnMut(&Source<'_>) -> Result<String, E>,
) -> Result<Result<Rendered, Vec<E>>> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).context("the template is not a .docx (zip) file")?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut texts = Vec::new();
    let mut errors = Vec::new();
    for i in 0..zip.len() {
        let name = zip.by_index_raw(i)?.name()?.into_owned();
        if !renders(&name) {
            out.raw_copy_file(zip.by_index_raw(i)?)?;
            continue;
        }
        let (xml, options) = {
            let mut entry = zip.by_index(i)?;
            let mut xml = String::new();
            entry
                .read_to_string(&mut xml)
                .with_context(|| format!("cannot read {name} of the template"))?;
            let mut options =
                zip::write::SimpleFileOptions::default().compression_method(entry.compression());
            if let Some(t) = entry.last_modified() {
                options = options.last_modified_time(t);
            }
            (xml, options)
        };
        let part = render_part(&name, &xml, render, &mut texts, &mut errors)?;
        match part {
            None => out.raw_copy_file(zip.by_index_raw(i)?)?,
            Some(new) => {
                out.start_file(name.as_str(), options)?;
                out.write_all(new.as_bytes())?;
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let bytes = out.finish()?.into_inner();
    Ok(Ok(Rendered {
        bytes,
        paragraphs: texts,
    }))
}

/// One part: its paragraphs' texts added to `texts`, and the new XML when
/// any paragraph held a tag.
fn render_part<E>(
    name: &str,
    xml: &str,
    render: &mut dyn FnMut(&Source<'_>) -> Result<String, E>,
    texts: &mut Vec<(Place, String)>,
    errors: &mut Vec<E>,
) -> Result<Option<String>> {
    let paras = paragraphs(xml).with_context(|| format!("cannot read {name} of the template"))?;
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut tagged = false;
    for (n, p) in paras.iter().enumerate() {
        let place = Place {
            part: name.to_string(),
            paragraph: n + 1,
        };
        let originals: Vec<&str> = p.nodes.iter().map(|t| t.text.as_str()).collect();
        if !has_tags(&originals.concat()) {
            texts.push((place, originals.concat()));
            continue;
        }
        tagged = true;
        let source = marked_source(&originals)?;
        let rendered = match render(&Source {
            place: place.clone(),
            source: &source,
        }) {
            Ok(r) => r,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let new = split_marked(&rendered, p.nodes.len());
        texts.push((place, new.concat()));
        for (node, text) in p.nodes.iter().zip(new) {
            if text == node.text {
                continue;
            }
            let keeps_spaces = text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace);
            let tag = &xml[node.start_tag.clone()];
            if keeps_spaces && !tag.contains("xml:space") {
                edits.push((
                    node.start_tag.clone(),
                    r#"<w:t xml:space="preserve">"#.to_string(),
                ));
            }
            edits.push((
                node.content.clone(),
                quick_xml::escape::partial_escape(text.as_str()).into_owned(),
            ));
        }
    }
    if !tagged {
        return Ok(None);
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(xml.len());
    let mut from = 0;
    for (range, text) in edits {
        out.push_str(&xml[from..range.start]);
        out.push_str(&text);
        from = range.end;
    }
    out.push_str(&xml[from..]);
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_cut_across_runs_is_one_tag_and_writes_into_its_first_run() {
        let texts = ["会员{{ mem", "ber_co", "mpanies }}家，", "其中"];
        let source = marked_source(&texts).unwrap();
        let plain: String = source.chars().filter(|c| mark_index(*c).is_none()).collect();
        assert_eq!(plain, texts.concat());
        // Marks: run 0 at the start, run 2 after the tag, run 3 at its start.
        let marks: Vec<usize> = source.chars().filter_map(mark_index).collect();
        assert_eq!(marks, [0, 2, 3]);
        let rendered = source.replace("{{ member_companies }}", "38");
        let split = split_marked(&rendered, 4);
        assert_eq!(split, ["会员38", "", "家，", "其中"]);
    }

    #[test]
    fn tags_are_found_with_their_closing_and_an_unclosed_one_runs_to_the_end() {
        let t = "a{{ x }}b{% if y %}c{# n #}{ {{ z";
        let r: Vec<&str> = tag_ranges(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(r, ["{{ x }}", "{% if y %}", "{# n #}", "{{ z"]);
        assert!(!has_tags("no { tag } here"));
    }

    #[test]
    fn paragraphs_are_read_with_entities_and_nested_ones_in_order() {
        let xml = r#"<w:document><w:body><w:p><w:r><w:t>A &amp; B</w:t></w:r><w:r><w:t xml:space="preserve"> {{ x }}</w:t></w:r></w:p><w:p><w:r><w:t>&#20826;</w:t></w:r></w:p></w:body></w:document>"#;
        let ps = paragraphs(xml).unwrap();
        assert_eq!(ps.len(), 2);
        let texts: Vec<String> = ps
            .iter()
            .map(|p| p.nodes.iter().map(|t| t.text.clone()).collect())
            .collect();
        assert_eq!(texts, ["A & B {{ x }}", "党"]);
    }

    #[test]
    fn places_are_labelled_by_part() {
        let p = |part: &str| Place {
            part: part.into(),
            paragraph: 2,
        };
        assert_eq!(p("word/document.xml").label(), "2");
        assert_eq!(p("word/header1.xml").label(), "页眉1·2");
        assert_eq!(p("word/footer3.xml").label(), "页脚3·2");
    }
}
