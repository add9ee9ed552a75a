//! The layout rules a newcomer relies on, checked on the source itself:
//! the modules of `src/` use one another without a circle — the top-level
//! ones (each stage only those before it) and every file's module, a
//! folder's `mod.rs` and its files included — nothing but `main.rs`,
//! `lib.rs` and `cli.rs` names clap, no library module reaches up into
//! `cli`, and no source file is longer than 600 lines. The oracle reads
//! the files' text (the paths after `crate::` and `super::`, and a
//! folder's own files named in its `mod.rs`); it calls no code of the
//! crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, with its path relative to `src/`.
fn sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src()).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out.sort();
    assert!(out.len() > 20, "found only {} source files", out.len());
    out
}

/// The top-level module a file belongs to (`ingest/pool.rs` → `ingest`).
fn top_module(rel: &str) -> String {
    let first = rel.split('/').next().unwrap();
    first.trim_end_matches(".rs").to_string()
}

/// The text of a file without its comments (a `//` to the end of a line),
/// so a module named in a doc comment is not a use.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(at) if !l[..at].contains('"') => &l[..at],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which top-level modules each one names through `crate::`.
fn top_level_uses() -> BTreeMap<String, BTreeSet<String>> {
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in sources() {
        let from = top_module(&rel);
        let code = code_of(&text);
        let entry = uses.entry(from.clone()).or_default();
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != from {
                entry.insert(name);
            }
        }
    }
    uses
}

/// A circle through `start`, if there is one.
fn circle_from(start: &str, uses: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in uses.get(last).into_iter().flatten() {
            if next == start {
                let mut circle = path.clone();
                circle.push(start.to_string());
                return Some(circle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

/// Fails naming every circle of `uses`.
fn assert_no_circle(uses: &BTreeMap<String, BTreeSet<String>>) {
    let circles: Vec<String> = uses
        .keys()
        .filter_map(|m| circle_from(m, uses))
        .map(|c| c.join(" → "))
        .collect();
    assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
}

#[test]
fn the_top_level_modules_use_one_another_without_a_circle() {
    let uses = top_level_uses();
    for stage in [
        "ingest",
        "normalize",
        "load",
        "aggregate",
        "emit",
        "commands",
        "util",
        "contract",
    ] {
        assert!(
            uses.contains_key(stage),
            "no module {stage} in src/: {:?}",
            uses.keys()
        );
    }
    assert_no_circle(&uses);
}

/// The module path of a source file (`ingest/pool.rs` → `ingest::pool`,
/// `ingest/mod.rs` → `ingest`, `lib.rs` → the crate root, ""); `None` for
/// a file of tests kept beside its module.
fn module_of(rel: &str) -> Option<String> {
    let path = rel.trim_end_matches(".rs");
    if path.ends_with("_tests") {
        return None;
    }
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.last() == Some(&"mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    Some(parts.join("::"))
}

/// The longest known module that `path` (a `::` path) starts with.
fn resolve(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    (0..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|m| modules.contains(m))
}

/// Every module a module's code names, through `crate::…`, `super::…`
/// (with `{…}` groups) or, in a folder's `mod.rs`, one of its own files
/// by name. Test modules are left out: they may use anything.
fn module_uses() -> BTreeMap<String, BTreeSet<String>> {
    let files: Vec<(String, String)> = sources()
        .into_iter()
        .filter_map(|(rel, text)| module_of(&rel).map(|m| (m, text)))
        .collect();
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &files {
        let code = code_of(text.split("#[cfg(test)]\nmod tests").next().unwrap());
        let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
        let mut named = Vec::new();
        for base in ["crate::", "super::"] {
            for (at, _) in code.match_indices(base) {
                if at > 0 && code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let rest = &code[at + base.len()..];
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let path = path.trim_end_matches(':');
                let start = if base == "crate::" { "" } else { parent };
                let prefix = [start, path]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join("::");
                let after = &rest[path.len()..];
                match after.strip_prefix("::{").and_then(|g| g.split_once('}')) {
                    Some((group, _)) => named.extend(group.split(',').map(|item| {
                        let item = item.split(" as ").next().unwrap().trim();
                        match item {
                            "self" | "" => prefix.clone(),
                            item => format!("{prefix}::{item}"),
                        }
                    })),
                    None => named.push(prefix),
                }
            }
        }
        let own = uses.entry(module.clone()).or_default();
        for path in named {
            if let Some(target) = resolve(&path, &modules) {
                if target != *module && !target.is_empty() {
                    own.insert(target);
                }
            }
        }
        // A folder's mod.rs naming its own files (`pool::WorkerConfig`).
        for child in modules
            .iter()
            .filter(|c| c.rsplit_once("::").map_or("", |(p, _)| p) == module && !c.is_empty())
        {
            let name = child.rsplit("::").next().unwrap();
            let named_here = code.match_indices(&format!("{name}::")).any(|(at, _)| {
                at == 0 || !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
            });
            if named_here {
                own.insert(child.clone());
            }
        }
    }
    uses
}

#[test]
fn no_module_uses_another_that_uses_it_back() {
    let uses = module_uses();
    assert!(uses.len() > 40, "found only {} modules", uses.len());
    assert!(
        uses["ingest"].contains("ingest::pool"),
        "the checker misses a folder's own files"
    );
    assert!(
        uses["commands::run"].contains("state::changes"),
        "the checker misses crate:: paths"
    );
    assert_no_circle(&uses);
}

#[test]
fn the_stages_use_only_what_comes_before_them() {
    let uses = top_level_uses();
    // Data-flow order: a stage may use the helpers, the contracts and the
    // stages before it, never one after it nor the commands. The plain
    // configuration knows how files are read and the warehouse's memory
    // limit; the run state (manifest, what changed) reads it.
    let order = [
        "util",
        "contract",
        "normalize",
        "ingest",
        "load",
        "aggregate",
        "config",
        "state",
        "emit",
    ];
    for (i, module) in order.iter().enumerate() {
        let later: Vec<&&str> = order[i + 1..]
            .iter()
            .chain(&["commands", "cli"])
            .filter(|m| uses[*module].contains(**m))
            .collect();
        assert!(later.is_empty(), "{module} uses {later:?}, which come after it");
    }
}

#[test]
fn only_the_command_line_names_clap() {
    let allowed = ["main.rs", "lib.rs", "cli.rs"];
    for (rel, text) in sources() {
        if allowed.contains(&rel.as_str()) {
            continue;
        }
        let code = code_of(&text);
        assert!(
            !code.contains("clap::") && !code.contains("use clap"),
            "{rel} names clap"
        );
        assert!(!code.contains("crate::cli"), "{rel} reaches up into cli");
    }
}

#[test]
fn no_source_file_is_longer_than_600_lines() {
    let long: Vec<String> = sources()
        .into_iter()
        .map(|(rel, text)| (rel, text.lines().count()))
        .filter(|(_, n)| *n > 600)
        .map(|(rel, n)| format!("{rel}: {n} lines"))
        .collect();
    assert!(long.is_empty(), "{long:?}");
}
