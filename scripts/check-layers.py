#!/usr/bin/env python3
"""No module of the core imports from a layer above it.

Reads every non-test `.rs` file of crates/tollgate/src (a `tests.rs` file and `#[cfg(test)]`
items are skipped: tests may import anything), finds its layer (the folder or file directly under
src/) and every layer it names: `crate::<layer>` paths (`use crate::{a, b::c}` groups included)
and `super::super::...` paths that climb to the crate root. Prints one line per import of a layer
above the file's own, and exits 1 if there is any.

The order is ORDER below, lowest first (CONTRIBUTING.md's table of suite parts states it too).
`lib.rs` and `main.rs` (the crate roots) are exempt. `crate::Result`, `crate::Error` and
`crate::Code` are `error`'s, re-exported at the root. Comments (doc links included) and string
literals are not read; a `super::` path is resolved from the file's module path (an inline
`mod x { ... }` inside a file is not followed).

    scripts/check-layers.py [SRC_DIR]
"""

import os
import re
import sys

ORDER = [
    "hint",
    "error",
    "domain",
    "keychain",
    "config",
    "diff",
    "registry",
    "signing",
    "gitops",
    "team",
    "policy",
    "store",
    "report",
    "api",
    "logging",
    "cli",
]
RANK = {name: i for i, name in enumerate(ORDER)}
# Items the crate root re-exports, by the layer that defines them.
ROOT_ITEMS = {"Result": "error", "Error": "error", "Code": "error", "Hint": "hint"}
EXEMPT = {"lib.rs", "main.rs"}


def strip(src):
    """The code of `src` with comments, strings and char literals blanked (braces kept only
    where they are code), line breaks kept so line numbers still hold."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * src.count("\n", i, j))
            i = j
        elif re.match(r'b?r(#*)"', src[i:i + 40]) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            m = re.match(r'b?r(#*)"', src[i:])
            end = '"' + m.group(1)
            j = src.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * src.count("\n", i, j))
            i = j
        elif c == '"' or (c == "b" and src.startswith('b"', i) and (i == 0 or not src[i - 1].isalnum())):
            j = i + (2 if c == "b" else 1)
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j += 1
            out.append('""' + "\n" * src.count("\n", i, j))
            i = j
        elif c == "'":
            # A char literal ('x', '\n', '\u{7f}', '{'), not a lifetime ('a).
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", src[i:])
            if m:
                out.append("' '")
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_tests(code):
    """`code` without the items marked `#[cfg(test)]` (a module, a function, a `use`)."""
    out = []
    i = 0
    pat = re.compile(r"#\[cfg\(test\)\]")
    while True:
        m = pat.search(code, i)
        if not m:
            out.append(code[i:])
            break
        out.append(code[i:m.start()])
        j = m.end()
        # The item ends at the first `;` at depth 0, or at the `}` closing its first `{`.
        depth = 0
        while j < len(code):
            ch = code[j]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    j += 1
                    break
            elif ch == ";" and depth == 0:
                j += 1
                break
            j += 1
        out.append("\n" * code.count("\n", m.start(), j))
        i = j
    return "".join(out)


def group_heads(code, start):
    """The first path segment of each item of the `{...}` group opening at `start`."""
    depth, item, heads = 0, "", []
    j = start
    while j < len(code):
        ch = code[j]
        if ch == "{":
            depth += 1
            if depth == 1:
                j += 1
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                heads.append(item)
                break
        elif ch == "," and depth == 1:
            heads.append(item)
            item = ""
            j += 1
            continue
        if depth >= 1:
            item += ch
        j += 1
    out = []
    for h in heads:
        m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", h)
        if m:
            out.append(m.group(1))
    return out


def module_path(rel):
    """`api/team_sync/pull.rs` -> ["api", "team_sync", "pull"]; `store/mod.rs` -> ["store"]."""
    parts = rel[:-3].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    return parts


def layers_named(code, rel):
    """(line, layer) for each layer the code names."""
    found = []
    line_of = lambda pos: code.count("\n", 0, pos) + 1
    for m in re.finditer(r"(?<![A-Za-z0-9_:])crate\s*::\s*(\{|[A-Za-z_][A-Za-z0-9_]*)", code):
        if m.group(1) == "{":
            for head in group_heads(code, m.start(1)):
                found.append((line_of(m.start()), head))
        else:
            found.append((line_of(m.start()), m.group(1)))
    path = module_path(rel)
    for m in re.finditer(r"(?<![A-Za-z0-9_:])((?:super\s*::\s*)+)(\{|[A-Za-z_][A-Za-z0-9_]*)", code):
        ups = m.group(1).count("super")
        if ups != len(path):
            continue  # stays inside the file's own layer
        if m.group(2) == "{":
            for head in group_heads(code, m.start(2)):
                found.append((line_of(m.start()), head))
        else:
            found.append((line_of(m.start()), m.group(2)))
    out = []
    for line, name in found:
        name = ROOT_ITEMS.get(name, name)
        if name in RANK:
            out.append((line, name))
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(root, "crates", "tollgate", "src")
    problems = []
    for dirpath, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith(".rs") or f == "tests.rs":
                continue
            full = os.path.join(dirpath, f)
            rel = os.path.relpath(full, src)
            if rel in EXEMPT:
                continue
            layer = rel.split(os.sep)[0]
            layer = layer[:-3] if layer.endswith(".rs") else layer
            if layer not in RANK:
                problems.append(f"{rel}: is in no layer (add `{layer}` to scripts/check-layers.py's ORDER)")
                continue
            with open(full, encoding="utf-8") as fh:
                code = drop_tests(strip(fh.read()))
            seen = set()
            for line, named in layers_named(code, rel):
                if RANK[named] > RANK[layer] and named not in seen:
                    seen.add(named)
                    shown = os.path.relpath(full, root) if full.startswith(root + os.sep) else full
                    problems.append(f"{shown}:{line}: imports {named} from a layer above it ({layer})")
    for p in sorted(problems):
        print(p)
    if problems:
        print(
            f"{len(problems)} import(s) against the layer order (lowest first): {', '.join(ORDER)}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
