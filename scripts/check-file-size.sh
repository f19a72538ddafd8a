#!/usr/bin/env bash
# Fails if a non-test Rust source file is over 700 lines (the standing rule of issue 18: split it
# by concept, never into part1/part2), one line per file.
#
# Counted: every .rs file under crates/*/src, src-tauri/src, tests/e2e/src, and every folder or
# crate whose name holds "support" (test support counts: crates/tollgate-testsupport/).
# Exempt as test files: files named tests.rs, and files
# under a tests/ folder inside those (a support folder's own files are not exempt).
#
# Over the limit when this check was added: report/check.rs, report/pdf/mod.rs, registry/mod.rs,
# policy/evaluate.rs, store/chain.rs, store/timeline.rs and the tests' support/registry.rs (all
# split in the same change).
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT=700

# Files allowed over the limit for a while (a path per line, with why and until when). Empty: keep
# it so. This script says when a listed file is under the limit or gone.
EXEMPT=(
)

roots=()
for d in crates/*/src src-tauri/src tests/e2e/src; do
  if [ -d "$d" ]; then roots+=("$d"); fi
done
while IFS= read -r d; do
  roots+=("$d")
done < <(find . \( -name target -o -name node_modules -o -name .git \) -prune -o \
  -type d -name '*support*' -print | sed 's|^\./||' | sort)

# Every counted file once, whichever roots find it.
files=$(
  for root in "${roots[@]}"; do
    find "$root" \( -name target -o -name node_modules \) -prune -o -type f -name '*.rs' -print |
      while IFS= read -r f; do
        inside=${f#"$root"/}
        case "$(basename "$f")" in tests.rs) continue ;; esac
        case "/$(dirname "$inside")/" in */tests/*) continue ;; esac
        printf '%s\n' "$f"
      done
  done | sort -u
)

failed=0
while IFS= read -r f; do
  lines=$(wc -l <"$f")
  exempt=no
  for e in "${EXEMPT[@]}"; do
    if [ "$f" = "$e" ]; then exempt=yes; fi
  done
  if [ "$lines" -gt "$LIMIT" ] && [ "$exempt" = no ]; then
    echo "$f: $lines lines, over $LIMIT: split it by concept (CONTRIBUTING.md)" >&2
    failed=1
  elif [ "$lines" -le "$LIMIT" ] && [ "$exempt" = yes ]; then
    echo "$f: $lines lines now: remove it from EXEMPT in $0"
  fi
done <<<"$files"

for e in "${EXEMPT[@]}"; do
  if [ ! -f "$e" ]; then echo "$e is gone: remove it from EXEMPT in $0"; fi
done

if [ "$failed" = 1 ]; then
  exit 1
fi
echo "check-file-size: no non-test source file over $LIMIT lines ($(echo "$files" | wc -l) files, ${#EXEMPT[@]} exempt)"
