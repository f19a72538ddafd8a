#!/usr/bin/env python3
"""No sentence the desktop app can show names a CLI flag or a `tollgate` command line.

The core (crates/tollgate/src) and the desktop shell (src-tauri/src) word what is wrong as
facts; what to do is a structured hint (crates/tollgate/src/hint.rs) that the CLI words with
its flags and the app with its buttons. This check finds every string literal outside tests
that names a flag (`--x`) or a command line (`tollgate x`), and fails unless it is listed in
scripts/app-words-allow.txt with the reason the app never shows it (a CLI-only path, a process
argument, a file comment). Run by scripts/test.sh.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DIRS = ["crates/tollgate/src", "src-tauri/src"]
ALLOW = ROOT / "scripts/app-words-allow.txt"
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
NAMES = re.compile(r"(?:^|[\s(`'])--[a-z][a-z-]+|`tollgate [a-z]")
ARGUMENT = re.compile(r"^--[a-z][a-z-]*(=.*)?$")


def literals(path):
    """(line number, literal) outside comments and outside the file's test module."""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        code = line.strip()
        if code.startswith("#[cfg(test)]"):
            return
        if code.startswith("//"):
            continue
        for m in LITERAL.finditer(line):
            yield n, m.group(1)


def allowed():
    entries = []
    for n, line in enumerate(ALLOW.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            where, rest = line.split(": ", 1)
            text, why = rest.split("  # ", 1)
        except ValueError:
            sys.exit(f"{ALLOW.name}:{n}: write `path: text  # why the app never shows it`")
        entries.append((where, text.strip(), why.strip()))
    return entries


def main():
    allow = allowed()
    used = set()
    bad = []
    for d in DIRS:
        for path in sorted((ROOT / d).rglob("*.rs")):
            rel = path.relative_to(ROOT).as_posix()
            if path.name == "tests.rs" or "/tests/" in rel:
                continue
            for n, text in literals(path):
                if not NAMES.search(text) or ARGUMENT.match(text):
                    continue
                hit = [i for i, (w, t, _) in enumerate(allow) if w == rel and t in text]
                if hit:
                    used.update(hit)
                else:
                    bad.append(f"{rel}:{n}: {text[:140]}")
    stale = [f"{w}: {t}" for i, (w, t, _) in enumerate(allow) if i not in used]
    for b in bad:
        print(f"names a CLI flag or command where the app may show it: {b}")
    for s in stale:
        print(f"{ALLOW.name} lists what no longer exists: {s}")
    if bad or stale:
        print(
            "word it as a fact and put what to do in a Hint (crates/tollgate/src/hint.rs), or list it "
            f"in {ALLOW.relative_to(ROOT)} with why the app never shows it"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
