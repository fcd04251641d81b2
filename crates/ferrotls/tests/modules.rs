//! No import cycles among the library's modules (issue 15; STYLE.md: "Modules depend
//! downward only (a child may use its parent)").
//!
//! Reads every `.rs` file under `src/`, collects the paths it names (`use crate::..`
//! trees, `crate::a::b` and `super::`/`self::` paths anywhere in the code; doc links are
//! not imports and are left out), maps each to the longest module prefix that exists (a file's module is
//! its path; `mod.rs` and `lib.rs` stand for their directory) and also follows
//! re-exports (`pub use`, globs) from there to the module that defines the item (an
//! edge to either counts), and looks for strongly connected sets of modules. Edges
//! between a module and its ancestor or descendant are allowed. Test code (`tests.rs`
//! files, `#[cfg(test)]` items and modules) is left out. Plain comments and string
//! literals are ignored.
//!
//! The state machines still form one cycle until their restructuring is done: the
//! edges that keep it are listed in [`ALLOWED`]. The test fails on any cycle those
//! edges do not explain, and on an allowed edge that is gone or no longer closes a
//! cycle, so the list can only shrink. `cargo test --test modules -- --nocapture`
//! prints the module graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Edges (from, to) that still close the state-machine cycle.
const ALLOWED: &[(&str, &str)] = &[
    // CORE removes this: verify_server_chain / verify_client_chain write into
    // conn::CommonState; pki is to return what it verified.
    ("pki", "conn"),
    // CORE removes this: the connection holds and drives the TLS 1.3 state enums
    // (conn.rs asks the states questions in the middle of a record).
    ("conn", "tls13::client"),
    // CORE removes this: as above, for the server.
    ("conn", "tls13::server"),
    // CORE removes this: ClientConnection starts the TLS 1.3 state (to client/hello.rs).
    ("client", "tls13::client"),
    // CORE removes this: ServerConnection starts the TLS 1.3 state (to server/hello.rs).
    ("server", "tls13::server"),
    // CORE removes this: the TLS 1.2 fallback lives in the TLS 1.3 client.
    ("tls13::client", "tls12::client"),
    // CORE removes this: the version choice lives in the TLS 1.3 server.
    ("tls13::server", "tls12::server"),
];

/// The bottom layers: wire codec, times, messages, errors, crypto. They may import
/// only each other, never ech, pki, record, conn or the handshake, even where that
/// would close no cycle (a child may use its parent, so `error::x -> pki -> error`
/// counts as none when pki uses only error/mod.rs's own items).
const BOTTOM: &[&str] = &["codec", "time", "msgs", "error", "crypto"];

type Module = Vec<String>;

/// The module graph: each edge with the first place (file:line) that makes it.
#[derive(Debug, Default)]
struct Graph {
    modules: BTreeSet<String>,
    edges: BTreeMap<(String, String), String>,
}

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "crate".to_string()
    } else {
        m.join("::")
    }
}

/// `a/b/mod.rs` -> a::b, `a/c.rs` -> a::c, `lib.rs` -> the crate root.
fn module_of(rel: &str) -> Module {
    let stem = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut parts: Module = stem.split('/').map(str::to_string).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The text with plain comments, block comments and the contents of string and
/// character literals replaced by spaces (newlines kept, so lines still count).
/// Doc comments go too: a link in documentation is not an import, and the types a
/// module documents from above (the connection, the stream) are not its dependencies.
fn clean(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in out.iter_mut().take(to).skip(from) {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let start = i;
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            blank(&mut out, start, i);
        } else if rest.starts_with(b"/*") {
            let (start, mut depth) = (i, 0usize);
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            blank(&mut out, start, i);
        } else if (rest.starts_with(b"r\"") || rest.starts_with(b"r#"))
            && (i == 0 || !is_ident(b[i - 1]))
        {
            // Raw string: r"..." or r#"..."#.
            let start = i;
            let mut j = i + 1;
            let mut hashes = 0;
            while j < b.len() && b[j] == b'#' {
                hashes += 1;
                j += 1;
            }
            if j < b.len() && b[j] == b'"' {
                let mut close = vec![b'"'];
                close.extend(std::iter::repeat_n(b'#', hashes));
                j += 1;
                while j < b.len() && !b[j..].starts_with(&close) {
                    j += 1;
                }
                i = (j + close.len()).min(b.len());
                blank(&mut out, start, i);
            } else {
                i += 1;
            }
        } else if b[i] == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            blank(&mut out, start, i);
        } else if b[i] == b'\'' {
            // A character literal ('x', '\n', '\u{1f}'), or else a lifetime.
            let start = i;
            if b.get(i + 1) == Some(&b'\\') {
                i += 3; // the quote, the backslash and the escaped character
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i = (i + 1).min(b.len());
                blank(&mut out, start, i);
            } else if b.get(i + 2) == Some(&b'\'') {
                i += 3;
                blank(&mut out, start, i);
            } else {
                // Multi-byte UTF-8 character literal, or a lifetime.
                let s = &text[i + 1..];
                match s.chars().next() {
                    Some(c) if s[c.len_utf8()..].starts_with('\'') => {
                        i += 1 + c.len_utf8() + 1;
                        blank(&mut out, start, i);
                    }
                    _ => i += 1,
                }
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Index just past the bracket group that opens at `open` (`(`, `[` or `{`).
fn close_of(b: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Blanks every `#[cfg(test)]` item of (cleaned) `text`; returns the names of the
/// `#[cfg(test)] mod name;` children, which are test-only modules.
fn drop_test_items(text: &mut String) -> Vec<String> {
    let mut b = text.as_bytes().to_vec();
    let mut test_children = Vec::new();
    let attr = b"#[cfg(test)]";
    let mut from = 0;
    while let Some(pos) = find(&b, attr, from) {
        let mut i = skip_ws(&b, pos + attr.len());
        while i < b.len() && b[i] == b'#' {
            i = skip_ws(&b, close_of(&b, i + 1));
        }
        // The item: up to a `;` outside brackets, or the end of its first `{}` block.
        let item = i;
        let mut end = b.len();
        while i < b.len() {
            match b[i] {
                b';' => {
                    end = i + 1;
                    break;
                }
                b'{' => {
                    end = close_of(&b, i);
                    break;
                }
                b'(' | b'[' => i = close_of(&b, i),
                _ => i += 1,
            }
        }
        let words: Vec<&str> = std::str::from_utf8(&b[item..end])
            .unwrap_or("")
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ';'))
            .filter(|w| !w.is_empty())
            .collect();
        if let Some(k) = words.iter().position(|w| *w == "mod") {
            if let Some(child) = words.get(k + 1).and_then(|w| w.strip_suffix(';')) {
                test_children.push(child.to_string());
            }
        }
        for c in &mut b[pos..end] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
        from = end;
    }
    *text = String::from_utf8_lossy(&b).into_owned();
    test_children
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The paths a `use` tree names, each with the name it binds (`None` for a glob):
/// `a::{b, c::{d as e}, f::*}` -> (a::b, b), (a::c::d, e), (a::f, glob).
fn expand_use(tree: &str, prefix: &[String], out: &mut Vec<(Module, Option<String>)>) {
    let tree = tree.trim().trim_start_matches("::");
    if let Some(open) = tree.find('{') {
        let head: Module = tree[..open]
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let mut base = prefix.to_vec();
        base.extend(head);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let (mut depth, mut start) = (0, 0);
        for (k, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_use(&inner[start..k], &base, out);
                    start = k + 1;
                }
                _ => {}
            }
        }
        expand_use(&inner[start..], &base, out);
    } else {
        let mut parts = tree.split(" as ");
        let path = parts.next().unwrap_or("").trim();
        if path.is_empty() {
            return;
        }
        let mut full = prefix.to_vec();
        for seg in path.split("::").map(str::trim) {
            if seg != "*" && seg != "self" {
                full.push(seg.to_string());
            }
        }
        let bound = match parts.next().map(str::trim) {
            _ if path.ends_with('*') => None,
            Some(alias) => Some(alias.to_string()),
            None => full.last().cloned(),
        };
        out.push((full, bound));
    }
}

/// Resolves `crate::`, `self::` and `super::` against `scope`; a path that starts
/// with another name resolves against `scope` if that names a child module there.
fn resolve(path: &[String], scope: &[String], modules: &BTreeSet<Module>) -> Option<Module> {
    let first = path.first()?;
    let mut base: Module = match first.as_str() {
        "crate" | "$crate" => Vec::new(),
        "self" => scope.to_vec(),
        "super" => scope[..scope.len().checked_sub(1)?].to_vec(),
        other => {
            let mut child = scope.to_vec();
            child.push(other.to_string());
            if !modules.contains(&child) {
                return None;
            }
            scope.to_vec()
        }
    };
    let mut rest = &path[usize::from(matches!(
        first.as_str(),
        "crate" | "$crate" | "self" | "super"
    ))..];
    while rest.first().map(String::as_str) == Some("super") {
        base.pop()?;
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The longest prefix of `path` that is a module.
fn owner(path: &[String], modules: &BTreeSet<Module>) -> Module {
    (0..=path.len())
        .rev()
        .map(|k| path[..k].to_vec())
        .find(|m| modules.contains(m))
        .unwrap_or_default()
}

fn related(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// A path as written, the module it is written in, and for a `use` the name it
/// binds (`Some(None)` for a glob).
struct Reference {
    scope: Module,
    path: Module,
    line: usize,
    import: Option<Option<String>>,
}

/// The names a module defines, imports (to where) and glob-imports.
#[derive(Default)]
struct Scope {
    defines: BTreeSet<String>,
    imports: BTreeMap<String, Module>,
    globs: Vec<Module>,
}

/// Names that items get in `code`: `fn x`, `struct X`, `macro_rules! x`, ...
fn definitions(code: &str) -> BTreeSet<String> {
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '!'))
        .filter(|w| !w.is_empty())
        .collect();
    let keywords = [
        "fn",
        "struct",
        "enum",
        "const",
        "static",
        "type",
        "trait",
        "union",
        "mod",
        "macro_rules!",
    ];
    words
        .windows(2)
        .filter(|w| keywords.contains(&w[0]))
        .map(|w| w[1].to_string())
        .collect()
}

/// The module that defines what `path` names: the longest module prefix, or, where
/// that module only imports the name (a re-export, a glob), the module it comes from.
fn locate(
    path: &[String],
    modules: &BTreeSet<Module>,
    scopes: &BTreeMap<Module, Scope>,
    depth: usize,
) -> Module {
    let at = owner(path, modules);
    let (Some(item), Some(scope)) = (path.get(at.len()), scopes.get(&at)) else {
        return at;
    };
    if depth > 16 || scope.defines.contains(item) {
        return at;
    }
    let rest = &path[at.len() + 1..];
    if let Some(target) = scope.imports.get(item) {
        let mut next = target.clone();
        next.extend(rest.iter().cloned());
        return locate(&next, modules, scopes, depth + 1);
    }
    for glob in &scope.globs {
        let provides = scopes
            .get(glob)
            .is_some_and(|g| g.defines.contains(item) || g.imports.contains_key(item));
        if provides {
            let mut next = glob.clone();
            next.push(item.clone());
            next.extend(rest.iter().cloned());
            return locate(&next, modules, scopes, depth + 1);
        }
    }
    at
}

/// Builds the module graph of a crate from (path relative to src/, text) pairs.
fn build(files: &[(String, String)]) -> Graph {
    let mut cleaned = Vec::new();
    let mut test_only: BTreeSet<Module> = BTreeSet::new();
    for (rel, text) in files {
        let module = module_of(rel);
        if module.iter().any(|p| p == "tests") {
            continue;
        }
        let mut code = clean(text);
        for child in drop_test_items(&mut code) {
            let mut m = module.clone();
            m.push(child);
            test_only.insert(m);
        }
        cleaned.push((rel.clone(), module, code));
    }
    cleaned.retain(|(_, m, _)| !test_only.iter().any(|t| m.starts_with(t)));
    let modules: BTreeSet<Module> = cleaned.iter().map(|(_, m, _)| m.clone()).collect();
    // What each module defines and imports, to follow re-exports to the module
    // that defines an item (`crate::ech::EchKeys` is ech::keys's, not ech's).
    let mut scopes: BTreeMap<Module, Scope> = BTreeMap::new();
    let mut refs = Vec::new();
    for (rel, module, code) in &cleaned {
        let scope = scopes.entry(module.clone()).or_default();
        scope.defines = definitions(code);
        for r in references(module, code) {
            let Some(full) = resolve(&r.path, &r.scope, &modules) else {
                continue;
            };
            match (&r.import, r.scope == *module) {
                (Some(Some(bound)), true) if bound != "_" => {
                    scope.imports.insert(bound.clone(), full.clone());
                }
                (Some(None), true) => scope.globs.push(full.clone()),
                _ => {}
            }
            refs.push((rel, module, full, r.line));
        }
    }
    let mut graph = Graph {
        modules: modules.iter().map(|m| name(m)).collect(),
        ..Graph::default()
    };
    for (rel, module, full, line) in refs {
        // Both the module a path names as written (`crate::error::DecodeError` names
        // error, which a reader of the use line sees) and the one that defines the
        // item (through re-exports): an edge in either counts.
        let written = owner(&full, &modules);
        let defining = locate(&full, &modules, &scopes, 0);
        for to in [written, defining] {
            if !related(module, &to) {
                graph
                    .edges
                    .entry((name(module), name(&to)))
                    .or_insert_with(|| format!("src/{rel}:{line}"));
            }
        }
    }
    graph
}

/// Every path a file names, with the module it is written in (inline `mod x { }`
/// blocks included, for `super::`) and its line.
fn references(module: &[String], code: &str) -> Vec<Reference> {
    let b = code.as_bytes();
    let line_of = |pos: usize| b[..pos].iter().filter(|&&c| c == b'\n').count() + 1;
    // Inline modules: (start, end, name).
    let mut inline = Vec::new();
    let mut from = 0;
    while let Some(pos) = find(b, b"mod ", from) {
        from = pos + 4;
        if pos > 0 && is_ident(b[pos - 1]) {
            continue;
        }
        let mut j = skip_ws(b, pos + 4);
        let start = j;
        while j < b.len() && is_ident(b[j]) {
            j += 1;
        }
        let open = skip_ws(b, j);
        if j > start && b.get(open) == Some(&b'{') {
            inline.push((open, close_of(b, open), code[start..j].to_string()));
        }
    }
    let scope_at = |pos: usize| {
        let mut scope = module.to_vec();
        scope.extend(
            inline
                .iter()
                .filter(|(s, e, _)| *s < pos && pos < *e)
                .map(|(_, _, n)| n.clone()),
        );
        scope
    };
    let mut out = Vec::new();
    let mut rest = b.to_vec();
    // `use` trees first; then they are blanked so the scan below does not count
    // their heads (`crate::msgs` of `use crate::msgs::{..}`) again.
    let mut from = 0;
    while let Some(pos) = find(&rest, b"use ", from) {
        from = pos + 4;
        if !starts_statement(&rest, pos) {
            continue;
        }
        let end = find(&rest, b";", pos).unwrap_or(rest.len());
        let tree: String = String::from_utf8_lossy(&rest[pos + 4..end])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let mut paths = Vec::new();
        expand_use(
            &tree.replace(" ::", "::").replace(":: ", "::"),
            &[],
            &mut paths,
        );
        let (scope, line) = (scope_at(pos), line_of(pos));
        out.extend(paths.into_iter().map(|(path, bound)| Reference {
            scope: scope.clone(),
            path,
            line,
            import: Some(bound),
        }));
        for c in &mut rest[pos..end] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    }
    // `crate::a::b`, `super::super::c`, `self::d` anywhere else.
    let mut i = 0;
    while i < rest.len() {
        let at_word = i == 0 || !is_ident(rest[i - 1]);
        let word = ["crate", "super", "self"]
            .into_iter()
            .find(|w| at_word && rest[i..].starts_with(w.as_bytes()));
        let Some(word) = word else {
            i += 1;
            continue;
        };
        let mut j = i + word.len();
        let mut path = vec![if i > 0 && rest[i - 1] == b'$' {
            "$crate".to_string()
        } else {
            word.to_string()
        }];
        while rest[j..].starts_with(b"::") && rest.get(j + 2).is_some_and(|&c| is_ident(c)) {
            let s = j + 2;
            j = s;
            while j < rest.len() && is_ident(rest[j]) {
                j += 1;
            }
            path.push(String::from_utf8_lossy(&rest[s..j]).into_owned());
        }
        if path.len() > 1 {
            out.push(Reference {
                scope: scope_at(i),
                path,
                line: line_of(i),
                import: None,
            });
        }
        i = j.max(i + 1);
    }
    out
}

/// Whether `use` at `pos` begins a line's statement (after an optional visibility),
/// so that "use" in a doc comment's prose is not read as an import.
fn starts_statement(b: &[u8], pos: usize) -> bool {
    let line = b[..pos]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |k| k + 1);
    let head = String::from_utf8_lossy(&b[line..pos]);
    let head = head.trim();
    head.is_empty() || head == "pub" || (head.starts_with("pub(") && head.ends_with(')'))
}

/// Strongly connected sets of more than one module (Tarjan).
fn cycles(nodes: &BTreeSet<String>, edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    struct State<'a> {
        next: BTreeMap<&'a str, Vec<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(v: &'a str, s: &mut State<'a>) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on.insert(v);
        for w in s.next.get(v).cloned().unwrap_or_default() {
            if !s.index.contains_key(w) {
                visit(w, s);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        next: BTreeMap::new(),
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for (a, b) in edges {
        s.next.entry(a.as_str()).or_default().push(b.as_str());
    }
    for v in nodes {
        if !s.index.contains_key(v.as_str()) {
            visit(v.as_str(), &mut s);
        }
    }
    s.out
}

/// One cycle through `component`, as "a -> b -> c -> a".
fn one_cycle(component: &[String], edges: &BTreeSet<(String, String)>) -> String {
    let inside = |m: &String| component.contains(m);
    let start = &component[0];
    // Breadth-first from `start` back to it, inside the component.
    let mut prev: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for (a, b) in edges.iter().filter(|(a, b)| a == v && inside(b)) {
            if b == start {
                let mut path = vec![start.clone()];
                let mut cur = a;
                while cur != start {
                    path.push(cur.clone());
                    cur = prev[cur];
                }
                path.push(start.clone());
                path.reverse();
                return path.join(" -> ");
            }
            if !prev.contains_key(b) {
                prev.insert(b, a);
                queue.push_back(b);
            }
        }
    }
    component.join(", ")
}

/// Ok, or every problem: a cycle the allowed edges do not explain, an allowed edge
/// that is gone, an allowed edge that no longer closes a cycle.
fn check(graph: &Graph, allowed: &[(&str, &str)]) -> Result<(), String> {
    let all: BTreeSet<(String, String)> = graph.edges.keys().cloned().collect();
    let mut problems = Vec::new();
    let full = cycles(&graph.modules, &all);
    for &(a, b) in allowed {
        let edge = (a.to_string(), b.to_string());
        if !all.contains(&edge) {
            problems.push(format!(
                "allowed edge {a} -> {b} no longer exists: remove it from ALLOWED"
            ));
        } else if !full
            .iter()
            .any(|c| c.contains(&edge.0) && c.contains(&edge.1))
        {
            problems.push(format!(
                "allowed edge {a} -> {b} no longer closes a cycle: remove it from ALLOWED"
            ));
        }
    }
    let rest: BTreeSet<(String, String)> = all
        .iter()
        .filter(|(a, b)| !allowed.contains(&(a.as_str(), b.as_str())))
        .cloned()
        .collect();
    for component in cycles(&graph.modules, &rest) {
        let mut text = format!(
            "import cycle among {}: {}",
            component.join(", "),
            one_cycle(&component, &rest)
        );
        for ((a, b), at) in &graph.edges {
            if component.contains(a)
                && component.contains(b)
                && rest.contains(&(a.clone(), b.clone()))
            {
                text.push_str(&format!("\n    {a} -> {b} ({at})"));
            }
        }
        problems.push(text);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn read_sources(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_sources(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(base)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            out.push((rel, text));
        }
    }
}

#[test]
fn no_module_cycles_but_the_allowed_edges() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_sources(&src, &src, &mut files);
    assert!(
        files.len() > 50,
        "only {} files read from {}",
        files.len(),
        src.display()
    );
    let graph = build(&files);
    assert!(
        graph.modules.len() > 50 && graph.edges.len() > 100,
        "graph too small: {graph:?}"
    );

    println!(
        "module graph of {}: {} modules, {} edges (parent/child edges left out)",
        src.display(),
        graph.modules.len(),
        graph.edges.len()
    );
    for m in &graph.modules {
        let to: Vec<&str> = graph
            .edges
            .keys()
            .filter(|(a, _)| a == m)
            .map(|(_, b)| b.as_str())
            .collect();
        println!(
            "  {m} -> {}",
            if to.is_empty() {
                "-".to_string()
            } else {
                to.join(", ")
            }
        );
    }
    let all: BTreeSet<(String, String)> = graph.edges.keys().cloned().collect();
    for c in cycles(&graph.modules, &all) {
        println!(
            "cycle still allowed ({} modules): {}",
            c.len(),
            c.join(", ")
        );
    }
    for (a, b) in ALLOWED {
        let at = graph.edges.get(&(a.to_string(), b.to_string()));
        println!(
            "allowed: {a} -> {b} ({})",
            at.map_or("gone", String::as_str)
        );
    }
    if let Err(problems) = check(&graph, ALLOWED) {
        panic!("{problems}");
    }
}

/// Edges from a module under `bottom` to one outside it, with where they are made.
fn upward_from(graph: &Graph, bottom: &[&str]) -> Vec<String> {
    let under = |m: &str| {
        bottom
            .iter()
            .any(|b| m == *b || m.strip_prefix(b).is_some_and(|r| r.starts_with("::")))
    };
    graph
        .edges
        .iter()
        .filter(|((a, b), _)| under(a) && !under(b))
        .map(|((a, b), at)| format!("{a} -> {b} ({at})"))
        .collect()
}

#[test]
fn bottom_layers_import_only_bottom_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_sources(&src, &src, &mut files);
    let graph = build(&files);
    assert!(graph.modules.contains("error::ech"), "{graph:?}");
    let upward = upward_from(&graph, BOTTOM);
    assert!(
        upward.is_empty(),
        "{} import upper layers:\n{}",
        BOTTOM.join(", "),
        upward.join("\n")
    );
    // The rule can fail: the synthetic layering below has one upward edge.
    let synthetic = build(&sources(&[
        ("lib.rs", ""),
        ("error/mod.rs", "mod certificate;\n"),
        (
            "error/certificate.rs",
            "pub enum E {\n    A(crate::pki::Precedence),\n}\n",
        ),
        ("pki.rs", "use crate::error::E;\n"),
    ]));
    assert_eq!(
        upward_from(&synthetic, &["error"]),
        ["error::certificate -> pki (src/error/certificate.rs:2)"]
    );
    assert_eq!(check(&synthetic, &[]), Ok(()));
}

fn sources(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

#[test]
fn checker_reports_a_cycle() {
    let graph = build(&sources(&[
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\nmod d;\n"),
        ("a.rs", "use crate::b::X;\nuse crate::d::Helper;\n"),
        (
            "b/mod.rs",
            "mod inner;\npub fn f() {\n    crate::c::g();\n}\n",
        ),
        ("b/inner.rs", "use super::f;\n"),
        // super:: resolves to the crate root, so this is c -> a.
        ("c.rs", "pub fn g() {\n    super::a::run();\n}\n"),
        // d's use of a is test code: no cycle through d.
        (
            "d.rs",
            "pub struct Helper;\n#[cfg(test)]\nmod tests {\n    use crate::a::X;\n}\n",
        ),
    ]));
    let err = check(&graph, &[]).unwrap_err();
    assert!(
        err.contains("import cycle among a, b, c: a -> b -> c -> a"),
        "{err}"
    );
    assert!(err.contains("a -> b (src/a.rs:1)"), "{err}");
    assert!(err.contains("b -> c (src/b/mod.rs:3)"), "{err}");
    assert!(err.contains("c -> a (src/c.rs:2)"), "{err}");
    assert!(!err.contains("d ->"), "{err}");
    // One allowed edge breaks it.
    assert_eq!(check(&graph, &[("c", "a")]), Ok(()));
}

#[test]
fn checker_reads_use_groups_and_ignores_comments_strings_and_tests() {
    let graph = build(&sources(&[
        ("lib.rs", ""),
        ("e.rs", "use crate::{f::{X, Y as Z}, g::*};\n"),
        (
            "f.rs",
            "// crate::e::Q is only mentioned\nconst S: &str = \"crate::e::Q\";\n\
             const Q: char = '\\'';\nconst D: char = '\"';\n\
             const R: &str = r#\"crate::e::Q \" \"#;\n\
             fn l<'a>(x: &'a str) -> &'a str {\n    crate::g::run();\n    x\n}\n",
        ),
        ("g/mod.rs", "#[cfg(test)]\npub(crate) mod fixtures;\n"),
        ("g/fixtures.rs", "use crate::e::Q;\n"),
        ("h/mod.rs", "pub mod k;\nuse self::k::A;\n"),
        ("h/k.rs", "use super::super::h::B;\n"),
        ("m.rs", "fn x() {\n    super::e::f();\n}\n"),
        ("n.rs", "mod inner {\n    use super::super::m::x;\n}\n"),
        ("p.rs", "/// See [`crate::n::x`].\npub fn q() {}\n"),
    ]));
    let edges: Vec<String> = graph
        .edges
        .keys()
        .map(|(a, b)| format!("{a}->{b}"))
        .collect();
    assert_eq!(
        edges,
        // p's doc link to n is documentation, not an import.
        ["e->f", "e->g", "f->g", "m->e", "n->m"],
        "{graph:?}"
    );
    assert!(!graph.modules.contains("g::fixtures"));
    assert_eq!(check(&graph, &[]), Ok(()));
}

#[test]
fn checker_follows_re_exports_to_the_defining_module() {
    let graph = build(&sources(&[
        ("lib.rs", ""),
        // t names e::Keys, which e re-exports from its child e::k: t -> e::k.
        ("e/mod.rs", "mod k;\npub use k::Keys;\n"),
        ("e/k.rs", "use crate::t::State;\npub struct Keys;\n"),
        ("t.rs", "use crate::e::Keys;\npub struct State;\n"),
        // Through a glob re-export: u -> m::en.
        ("m/mod.rs", "mod en;\npub use en::*;\n"),
        (
            "m/en.rs",
            "pub enum Proto {}\npub fn f() {\n    crate::u::g();\n}\n",
        ),
        ("u.rs", "pub fn g() -> crate::m::Proto {\n    todo!()\n}\n"),
    ]));
    let err = check(&graph, &[]).unwrap_err();
    assert!(
        err.contains("import cycle among e::k, t: e::k -> t -> e::k"),
        "{err}"
    );
    assert!(err.contains("t -> e::k (src/t.rs:1)"), "{err}");
    assert!(
        err.contains("import cycle among m::en, u: m::en -> u -> m::en"),
        "{err}"
    );
    assert!(err.contains("u -> m::en (src/u.rs:1)"), "{err}");
}

#[test]
fn checker_counts_the_module_a_path_names_as_written() {
    // codec takes D from error, which re-exports it from error::decode (a leaf);
    // error itself takes A from enums, which takes R from codec. Through the
    // re-export alone there is no cycle, but error and codec import each other.
    let graph = build(&sources(&[
        ("lib.rs", ""),
        ("codec.rs", "pub use crate::error::D;\npub struct R;\n"),
        (
            "error/mod.rs",
            "mod decode;\npub use decode::D;\nuse crate::enums::A;\n",
        ),
        ("error/decode.rs", "pub struct D;\n"),
        ("enums.rs", "use crate::codec::R;\npub enum A {}\n"),
    ]));
    let err = check(&graph, &[]).unwrap_err();
    assert!(
        err.contains("import cycle among codec, enums, error: codec -> error -> enums -> codec"),
        "{err}"
    );
    assert!(err.contains("codec -> error (src/codec.rs:1)"), "{err}");
    assert!(graph
        .edges
        .contains_key(&("codec".into(), "error::decode".into())));
}

#[test]
fn allowed_edges_must_exist_and_close_a_cycle() {
    let graph = build(&sources(&[
        ("lib.rs", ""),
        ("a.rs", "use crate::b::X;\n"),
        ("b.rs", "use crate::a::Y;\nuse crate::c::Z;\n"),
        ("c.rs", ""),
    ]));
    assert_eq!(check(&graph, &[("b", "a")]), Ok(()));
    let err = check(&graph, &[("b", "a"), ("c", "a")]).unwrap_err();
    assert_eq!(
        err,
        "allowed edge c -> a no longer exists: remove it from ALLOWED"
    );
    let err = check(&graph, &[("b", "a"), ("b", "c")]).unwrap_err();
    assert_eq!(
        err,
        "allowed edge b -> c no longer closes a cycle: remove it from ALLOWED"
    );
}
