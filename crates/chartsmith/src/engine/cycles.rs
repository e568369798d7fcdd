//! Finding the component call cycle behind Tera's "recursion depth exceeded" error, so that the
//! error can name it. Tera bounds component recursion itself (20 levels) but does not say which
//! components loop; this scans the template sources for `{% component NAME(` definitions and the
//! `<NAME` calls inside their bodies (a static approximation: calls inside `{# #}` comments or
//! strings count too).

use std::collections::{BTreeMap, BTreeSet};

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// The names of components called (`<name/>`, `<name>`) in `text`.
fn calls(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == '<' {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && is_ident(bytes[end]) {
                end += 1;
            }
            if end > start && end < bytes.len() && matches!(bytes[end], '/' | ' ' | '>' | '\n') {
                let name: String = bytes[start..end].iter().collect();
                if name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                {
                    out.insert(name);
                }
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Component name → components its body calls.
pub(super) fn graph(sources: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for (_, text) in sources {
        let mut rest = text.as_str();
        while let Some(pos) = rest.find("component ") {
            let before = &rest[..pos];
            let after = &rest[pos + "component ".len()..];
            let is_definition =
                before.trim_end().ends_with("{%") || before.trim_end().ends_with("{%-");
            let name: String = after
                .trim_start()
                .chars()
                .take_while(|c| is_ident(*c))
                .collect();
            if !is_definition || name.is_empty() {
                rest = after;
                continue;
            }
            let body_end = after.find("endcomponent").unwrap_or(after.len());
            graph.insert(name, calls(&after[..body_end]));
            rest = &after[body_end..];
        }
    }
    graph
}

/// A cycle reachable from the components called in `template_text`, as `a -> b -> a`.
pub(super) fn find_cycle(
    graph: &BTreeMap<String, BTreeSet<String>>,
    template_text: &str,
) -> Option<String> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = path.iter().position(|n| n == node) {
            let mut cycle = path[pos..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for start in calls(template_text) {
        if let Some(cycle) = visit(&start, graph, &mut Vec::new(), &mut done) {
            return Some(cycle.join(" -> "));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mutual_recursion() {
        let sources = vec![(
            "c/templates/_h.tpl".to_string(),
            "{% component a.b() %}{{ <a.c/> }}{% endcomponent %}{% component a.c() %}{{ <a.b/> }}{% endcomponent %}{% component ok() %}x{% endcomponent %}".to_string(),
        )];
        let g = graph(&sources);
        assert_eq!(
            find_cycle(&g, "x: {{ <ok/> }} {{ <a.b/> }}").as_deref(),
            Some("a.b -> a.c -> a.b")
        );
        assert_eq!(find_cycle(&g, "x: {{ <ok/> }}"), None);
    }
}
