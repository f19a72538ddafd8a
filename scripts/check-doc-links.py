#!/usr/bin/env python3
"""Every relative link and #anchor in README.md and the book (docs/src/**/*.md) resolves.

A link to a file must name a file or folder that exists; a #anchor must name a heading of the
target Markdown file, with the ids mdBook gives headings (lower case, letters, digits, `-` and
`_` kept, white space to `-`, the rest dropped; a repeated heading gets `-1`, `-2`, ...).
`{{#include FILE}}` lines count with the included file's headings. Web links are not fetched
(no network). Prints one line per broken link and exits 1, or prints nothing and exits 0.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
INCLUDE = re.compile(r"^\{\{#include\s+([^}\s]+)\s*\}\}\s*$")


def expand(path: pathlib.Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = INCLUDE.match(line.strip())
        if m:
            out += expand((path.parent / m.group(1)).resolve())
        else:
            out.append(line)
    return out


def prose(lines: list[str]):
    """The lines outside fenced code blocks, with inline code spans blanked, numbered from 1."""
    fence = None
    for n, line in enumerate(lines, 1):
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        yield n, re.sub(r"`[^`]*`", lambda m: " " * len(m.group(0)), line)


def anchors(path: pathlib.Path) -> set[str]:
    lines = expand(path)
    ids, seen = set(), {}
    for n, _ in prose(lines):
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", lines[n - 1])
        if not m:
            continue
        # The heading as text: code spans keep their text, links their label.
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", m.group(1))
        base = "".join(
            c.lower() if (c.isalnum() or c in "-_") else "-" if c.isspace() else ""
            for c in text
        )
        n = seen.get(base, 0)
        seen[base] = n + 1
        ids.add(base if n == 0 else f"{base}-{n}")
    return ids


def main() -> int:
    files = [ROOT / "README.md"] + sorted((ROOT / "docs" / "src").rglob("*.md"))
    problems = []
    for doc in files:
        for n, line in prose(doc.read_text(encoding="utf-8").splitlines()):
            for m in LINK.finditer(line):
                target = m.group(1)
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                    continue  # https:, mailto: ...: not fetched
                where = f"{doc.relative_to(ROOT)}:{n}: {target}"
                file_part, _, anchor = target.partition("#")
                dest = (doc.parent / file_part).resolve() if file_part else doc
                if not dest.exists():
                    problems.append(f"{where}: no such file {dest.relative_to(ROOT)}")
                    continue
                if anchor:
                    if dest.suffix != ".md":
                        problems.append(f"{where}: an anchor into a file that is not Markdown")
                    elif anchor not in anchors(dest):
                        problems.append(f"{where}: no heading #{anchor} in {dest.relative_to(ROOT)}")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} broken link(s) in the docs: fix the link or the heading it names", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
