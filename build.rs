//! Compiles the `queries/*.sql` files into the binary, so `chamberstat`
//! runs from any folder (cron, an installed binary) with the queries it was
//! built and tested with. `--queries DIR` still overrides them at run time.
//!
//! The list is generated (not kept by hand) so a new query file is embedded
//! by adding it to the folder; a unit test holds the embedded texts to the
//! folder's.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the queries folder")
        .map(|e| e.expect("a queries folder entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    let mut code = String::from("/// (file name, contents) of every query file, in name order.\npub const EMBEDDED: &[(&str, &str)] = &[\n");
    for name in &names {
        let path = dir.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        // The text itself, as a string literal: the generated file changes
        // whenever a query does, so the crate is rebuilt with it
        // (`include_str!` of a path written here was not always tracked).
        let sql = std::fs::read_to_string(&path).expect("a UTF-8 query file");
        writeln!(code, "    ({name:?}, {sql:?}),").unwrap();
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("embedded_queries.rs");
    std::fs::write(out, code).expect("write embedded_queries.rs");
}
