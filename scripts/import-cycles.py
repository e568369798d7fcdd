#!/usr/bin/env python3
"""Import graph of a Rust crate's files, from `use crate::`/`use super::`/`use self::` (and `use
child::` of a submodule) and inline `crate::x::`/`super::x`/`self::x` paths, with re-exports
(`pub use`) followed to the file that defines the item, so `pub use x::...` in a parent is an edge
parent -> child. A bare `mod x;` and inline paths without `crate`/`super`/`self` (`x::Item`) are not
edges. Reports the strongly connected components (import cycles) with more than one file, and exits
1 when one has more than --max files (default 3), so CI can run it.

usage: scripts/import-cycles.py CRATE_SRC_DIR... [--tests] [--edges] [--modules] [--max=N]
  e.g. scripts/import-cycles.py crates/chartsmith/src crates/chartsmith-cli/src
  CRATE_SRC_DIR  a crate's source directory; its root is lib.rs, else main.rs
  --tests    also count test code: inline `#[cfg(test)] mod` blocks and files that are only test
             modules (tests.rs, *_tests.rs, tests_*.rs)
  --edges    print every edge inside each cycle
  --modules  collapse files to top-level modules (crate::x) before computing cycles
  --max=N    the largest component allowed (default 3); exit status 1 when one is larger
"""
import os
import re
import sys
from collections import defaultdict

args = [a for a in sys.argv[1:] if not a.startswith("--")]
flags = {a for a in sys.argv[1:] if a.startswith("--")}
MAX = 3
for a in flags:
    if a.startswith("--max="):
        MAX = int(a.split("=", 1)[1])
if len(args) > 1:
    # One run per crate; fail when any fails.
    import subprocess
    status = 0
    for a in args:
        print(f"{a}:", flush=True)
        status |= subprocess.run([sys.executable, sys.argv[0], a, *sorted(flags)]).returncode
    sys.exit(status)
SRC = os.path.abspath(args[0] if args else ".")
ROOT = "lib.rs" if os.path.exists(os.path.join(SRC, "lib.rs")) else "main.rs"
if not os.path.exists(os.path.join(SRC, ROOT)):
    sys.exit(f"{SRC}: no lib.rs or main.rs")

mods = {}  # module path tuple -> file (relative)


def strip(text):
    """Drop comments, strings and char literals (keeps line structure)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text[i:j].count("\n"))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text[i:j].count("\n"))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text[i:j].count("\n"))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or (c == "'" and re.match(r"'\\[ux]", text[i:i + 3])):
            j = text.find("'", i + 2)
            out.append("' '")
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def discover(path_tuple, file):
    mods[path_tuple] = file
    full = os.path.join(SRC, file)
    text = strip(open(full).read())
    base = os.path.dirname(file)
    name = os.path.basename(file)
    if name not in ("lib.rs", "mod.rs", "main.rs"):
        base = os.path.join(base, name[:-3])
    for m in re.finditer(r"(?m)^\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", text):
        child = m.group(1)
        for cand in (os.path.join(base, child + ".rs"), os.path.join(base, child, "mod.rs")):
            if os.path.exists(os.path.join(SRC, cand)):
                discover(path_tuple + (child,), os.path.normpath(cand))
                break


discover((), ROOT)
file_mod = {f: p for p, f in mods.items()}
def drop_test_modules(text):
    """Blank out inline `#[cfg(test)] mod NAME { ... }` blocks (test code is not library code)."""
    out = text
    for m in reversed(list(re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text))):
        depth, j = 0, m.end() - 1
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        block = out[m.start():j + 1]
        out = out[:m.start()] + "\n" * block.count("\n") + out[j + 1:]
    return out


texts = {f: strip(open(os.path.join(SRC, f)).read()) for f in mods.values()}
if "--tests" not in flags:
    texts = {f: drop_test_modules(t) for f, t in texts.items()}


def expand(tree):
    """`a::{b, c::{d, e as f}, self}` -> [['a','b'], ['a','c','d'], ['a','c','e'], ['a']] (with alias)"""
    tree = re.sub(r"\s+", "", tree)
    res = []

    def go(prefix, s):
        depth, parts, cur = 0, [], ""
        for ch in s:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        if cur:
            parts.append(cur)
        for p in parts:
            if "{" in p:
                head, rest = p.split("{", 1)
                rest = rest[: rest.rfind("}")]
                hs = [x for x in head.split("::") if x]
                go(prefix + hs, rest)
            else:
                alias = None
                if "as" in p and re.search(r"[\w*]as[A-Za-z_]", p):
                    # after whitespace removal `a::Bas C` is `a::BasC`; handled below using original
                    pass
                segs = [x for x in p.split("::") if x]
                if segs and segs[-1] == "self":
                    segs = segs[:-1]
                res.append(prefix + segs)

    go([], tree)
    return res


def expand_with_alias(tree):
    # replace ` as X` with a marker before whitespace removal
    tree = re.sub(r"\s+as\s+(\w+)", r"@\1", tree)
    out = []
    for segs in expand(tree):
        alias = None
        if segs and "@" in segs[-1]:
            last, alias = segs[-1].split("@")
            segs = segs[:-1] + [last]
        out.append((segs, alias))
    return out


def absolute(file, segs, inner):
    """Make a path absolute (module tuple + rest), or None for external crates."""
    if not segs:
        return None
    here = file_mod[file]
    if segs[0] == "crate":
        return list(segs[1:])
    if segs[0] in ("super", "self"):
        cur = list(here)
        if inner:  # inside an inline `mod tests {}`: super is the file itself
            if segs[0] == "super":
                segs = ["self"] + segs[1:]
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                cur = cur[:-1]
            segs = segs[1:]
        return cur + list(segs)
    # `use child::x` relative to the current module (2018 edition: only if child is a submodule)
    if tuple(here) + (segs[0],) in mods:
        return list(here) + list(segs)
    return None


# re-exports: file -> {name: absolute path}, and glob re-exports: file -> [absolute module path]
reexports = defaultdict(dict)
globs = defaultdict(list)
uses = defaultdict(list)  # file -> list of absolute paths

USE_RE = re.compile(r"(?ms)^(\s*)(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);")
for f, text in texts.items():
    for m in USE_RE.finditer(text):
        indent, pub, tree = m.group(1).replace("\n", ""), m.group(2), m.group(3)
        inner = len(indent) > 0
        for segs, alias in expand_with_alias(tree):
            ab = absolute(f, segs, inner)
            if ab is None:
                continue
            uses[f].append(ab)
            if pub and not inner and not (pub.startswith("pub(")):
                if segs[-1] == "*":
                    globs[f].append(ab[:-1])
                else:
                    reexports[f][alias or ab[-1]] = ab
            elif pub and not inner:
                reexports[f][alias or ab[-1]] = ab
    # inline paths outside use statements
    body = USE_RE.sub("", text)
    for m in re.finditer(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)", body):
        segs = m.group(1).split("::")
        line_start = body.rfind("\n", 0, m.start()) + 1
        inner = body[line_start:m.start()].startswith("    ") and file_mod[f] != () and "mod tests" in body[:m.start()]
        ab = absolute(f, segs, inner and segs[0] == "super")
        if ab is not None:
            uses[f].append(ab)


def resolve(ab, depth=0):
    """Absolute path -> the file that defines it (following re-exports)."""
    # longest module prefix
    k = len(ab)
    while k > 0 and tuple(ab[:k]) not in mods:
        k -= 1
    f = mods[tuple(ab[:k])]
    if k < len(ab) and depth < 10:
        name = ab[k]
        if name in reexports[f]:
            target = reexports[f][name]
            if target != ab:
                return resolve(target + ab[k + 1:], depth + 1)
        for g in globs[f]:
            gf = resolve(g, depth + 1)
            # only follow a glob if the target file defines the name
            if re.search(r"\b(fn|struct|enum|type|trait|const|static|mod)\s+" + re.escape(name) + r"\b", texts[gf]):
                return resolve(g + ab[k:], depth + 1)
    return f


def is_test(f):
    b = os.path.basename(f)
    return b == "tests.rs" or b.endswith("_tests.rs") or b.startswith("tests_")


graph = defaultdict(set)
for f, paths in uses.items():
    for ab in paths:
        g = resolve(ab)
        if g != f:
            graph[f].add(g)

nodes = sorted(mods.values())
if "--tests" not in flags:
    nodes = [n for n in nodes if not is_test(n)]
    graph = {f: {g for g in gs if not is_test(g)} for f, gs in graph.items() if not is_test(f)}

if "--modules" in flags:
    def top(f):
        p = file_mod[f]
        if not p:
            return ROOT
        return p[0] + ("/" if any(len(q) > 1 and q[0] == p[0] for q in mods) else ".rs")
    g2 = defaultdict(set)
    for f, gs in graph.items():
        for g in gs:
            if top(f) != top(g):
                g2[top(f)].add(top(g))
    nodes = sorted({top(n) for n in nodes})
    graph = g2

# Tarjan
index, low, stack, on, sccs = {}, {}, [], set(), []
counter = [0]
sys.setrecursionlimit(10000)


def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in sorted(graph.get(v, ())):
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        sccs.append(sorted(comp))


for n in nodes:
    if n not in index:
        strong(n)

cycles = sorted((c for c in sccs if len(c) > 1), key=lambda c: (-len(c), c))
edges = sum(len(v) for v in graph.values())
print(f"{len(nodes)} nodes, {edges} edges, {len(cycles)} cycle(s); largest: {len(cycles[0]) if cycles else 0}")
for c in cycles:
    print(f"  {len(c)}: {' '.join(c)}")
    if "--edges" in flags:
        for a in c:
            for b in sorted(graph.get(a, ())):
                if b in c:
                    print(f"       {a} -> {b}")
if cycles and len(cycles[0]) > MAX:
    print(f"error: an import cycle of {len(cycles[0])} files (at most {MAX} allowed)")
    sys.exit(1)
