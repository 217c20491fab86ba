//! The crate's top-level modules form layers: the map in `src/lib.rs` names every module, and
//! each uses only modules the map names before it, so the module graph has no cycles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The modules in the order the map in `lib.rs` first names them.
fn map_order(lib: &str) -> Vec<String> {
    let mut order = Vec::new();
    for line in lib.lines().filter(|line| line.starts_with("//!")) {
        for piece in line.split("[`").skip(1) {
            if let Some((name, _)) = piece.split_once("`]")
                && !order.iter().any(|known| known == name)
            {
                order.push(name.to_owned());
            }
        }
    }
    order
}

fn declared_modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|line| line.strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';').to_owned())
        .collect()
}

/// The top-level modules a source file names through `crate::`, grouped imports included.
fn uses(source: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let identifier = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in source.match_indices("crate::") {
        let rest = &source[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_starts = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => item_starts = true,
                    c if c.is_whitespace() => {}
                    _ if item_starts && depth == 1 => {
                        used.insert(identifier(&group[i..]));
                        item_starts = false;
                    }
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
            }
        } else {
            used.insert(identifier(rest));
        }
    }
    used
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// Every top-level module and the others it uses.
fn module_graph(root: &Path, modules: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for module in modules {
        let mut files = Vec::new();
        let dir = root.join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(root.join(format!("{module}.rs")));
        }
        let mut used = BTreeSet::new();
        for file in files {
            used.extend(uses(&std::fs::read_to_string(&file).unwrap()));
        }
        used.retain(|other| other != module && modules.contains(other));
        graph.insert(module.clone(), used);
    }
    graph
}

#[test]
fn every_module_uses_only_those_the_map_names_before_it() {
    let root = source_root();
    let lib = std::fs::read_to_string(root.join("lib.rs")).unwrap();
    let order = map_order(&lib);
    let modules = declared_modules(&lib);
    let unmapped: Vec<_> = modules
        .iter()
        .filter(|module| !order.contains(module))
        .collect();
    assert!(
        unmapped.is_empty(),
        "lib.rs's map does not name {unmapped:?}"
    );

    let rank = |module: &str| order.iter().position(|known| known == module);
    let mut upward = Vec::new();
    for (module, used) in module_graph(&root, &modules) {
        for other in used {
            if rank(&other) > rank(&module) {
                upward.push(format!("{module} -> {other}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "these modules use one the map names after them: {upward:?}"
    );
}

#[test]
fn grouped_and_nested_imports_are_all_seen() {
    let source = "use crate::a::X;\nuse crate::{b::{c, d}, e, f::g};\nlet x = crate::h::y();";
    let used: Vec<_> = uses(source).into_iter().collect();
    assert_eq!(used, ["a", "b", "e", "f", "h"]);
}
