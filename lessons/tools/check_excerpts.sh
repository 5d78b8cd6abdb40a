#!/usr/bin/env bash
# check_excerpts.sh: every code excerpt quoted in a Markdown file must equal the tagged source region it names.
# usage: check_excerpts.sh [--root DIR] [--fix] FILE.md...
#
# Why: a lesson that quotes code by copy-and-paste goes stale the day the code changes, and a
# student then reads one thing and runs another. So a README never owns its code excerpts; it
# names a region of a real, compiled source file, and this check fails when the two differ.
#
# In a source file a region is the lines between two comment lines (C's // or the shell's #):
#
#     // region: await
#     ... the lines quoted ...
#     // endregion
#
# Regions may nest; marker lines of inner regions are left out of the outer one's text. The text
# is dedented: the indentation common to its non-blank lines is removed. A name is unique in
# its file. In the Markdown file, a marker comment at the start of a line is followed (blank
# lines allowed) by a fenced code block, whose lines must equal the region's:
#
#     <!-- excerpt: common/rt_async.h#await -->
#     ```c
#     ... the same lines ...
#     ```
#
# Paths are relative to --root (default: the current directory, the repository's top). With
# --fix, each drifted block is rewritten from its source (and a marker with no block gets one),
# which is how an author writes an excerpt in the first place.
# Exit status: 0 all excerpts match (or were fixed), 1 some do not or cannot be checked, 2 usage.
set -u

root=.
fix=0
files=()
while [ $# -gt 0 ]; do
  case $1 in
    --root) [ $# -ge 2 ] || { echo "check_excerpts: --root needs a directory" >&2; exit 2; }
            root=$2; shift 2 ;;
    --fix) fix=1; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed -e 's/^# \{0,1\}//' -e '/^set -u/d'; exit 0 ;;
    -*) echo "check_excerpts: unknown option $1" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
[ ${#files[@]} -gt 0 ] || { echo "usage: check_excerpts.sh [--root DIR] [--fix] FILE.md..." >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/excerpts.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# The Markdown side: write block k's lines to DIR/k.txt and one manifest line per marker,
# "k <TAB> line <TAB> path <TAB> region <TAB> status", status being ok, nofence, unclosed or badmarker.
read -r -d '' blocks_awk <<'AWK'
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function report(status) { printf "%d\t%d\t%s\t%s\t%s\n", k, mline, mpath, mname, status >> manifest }
{
    if (state == 2) {                       # inside a fenced block
        if (substr($0, 1, length(fence)) == fence && trim(substr($0, length(fence) + 1)) == "") {
            close(file); report("ok"); state = 0
        } else {
            print > file
        }
        next
    }
    if (state == 1) {                       # after a marker: blank lines, then the fence
        if ($0 ~ /^[ \t]*$/) next
        if (match($0, /^(```+|~~~+)/)) {
            fence = substr($0, 1, RLENGTH); file = dir "/" k ".txt"; printf "" > file
            state = 2; next
        }
        report("nofence"); state = 0
    }
    if (match($0, /^<!--[ \t]*excerpt:[^>]*-->/)) {
        spec = substr($0, RSTART, RLENGTH)
        sub(/^<!--[ \t]*excerpt:/, "", spec); sub(/-->$/, "", spec); spec = trim(spec)
        k++; mline = NR
        hash = index(spec, "#")
        if (hash < 2 || hash == length(spec)) { mpath = spec; mname = ""; report("badmarker"); next }
        mpath = substr(spec, 1, hash - 1); mname = substr(spec, hash + 1)
        state = 1
    }
}
END {
    if (state == 1) report("nofence")
    if (state == 2) report("unclosed")
}
AWK

# The source side: print region `want` of the file, dedented. Exit 3: no such region,
# 4: not closed, 5: defined twice.
read -r -d '' region_awk <<'AWK'
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
{
    opening = 0; closing = 0
    if (match($0, /^[ \t]*(\/\/|#)[ \t]*region:/)) {
        opening = 1; rname = trim(substr($0, RLENGTH + 1))
    } else if ($0 ~ /^[ \t]*(\/\/|#)[ \t]*endregion([ \t:].*)?$/) {
        closing = 1
    }
    if (inside) {
        if (opening && rname == want) { dup = 1 }
        if (opening) { depth++; next }
        if (closing) {
            if (depth > 0) { depth--; next }
            inside = 0; done = 1; next
        }
        lines[++count] = $0
        next
    }
    if (opening && rname == want) {
        if (done) dup = 1
        inside = 1; depth = 0
    }
}
END {
    if (dup) exit 5
    if (inside) exit 4
    if (!done) exit 3
    min = -1
    for (i = 1; i <= count; i++)
        if (lines[i] !~ /^[ \t]*$/) {
            match(lines[i], /^[ \t]*/)
            if (min < 0 || RLENGTH < min) min = RLENGTH
        }
    for (i = 1; i <= count; i++)
        print (lines[i] ~ /^[ \t]*$/) ? "" : substr(lines[i], min + 1)
}
AWK

# The fixer: copy DIR/k.src over block k (or insert a block after a marker that has none).
read -r -d '' fix_awk <<'AWK'
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function emit(path,   line) { while ((getline line < path) > 0) print line; close(path) }
function has(path,   line, r) { r = (getline line < path); close(path); return r >= 0 }
function lang(   line, p) { p = dir "/" k ".lang"; line = "c"; getline line < p; close(p); return line }
{
    if (state == 2) {
        if (substr($0, 1, length(fence)) == fence && trim(substr($0, length(fence) + 1)) == "") {
            print; state = 0
        } else if (!replacing) {
            print
        }
        next
    }
    if (state == 1) {
        if ($0 ~ /^[ \t]*$/) { print; next }
        if (match($0, /^(```+|~~~+)/)) {
            fence = substr($0, 1, RLENGTH); print
            src = dir "/" k ".src"; replacing = has(src)
            if (replacing) emit(src)
            state = 2; next
        }
        state = 0
        src = dir "/" k ".src"
        if (has(src)) { print "```" lang(); emit(src); print "```"; print "" }
    }
    print
    if ($0 ~ /^<!--[ \t]*excerpt:[^>]*-->/) { k++; state = 1 }
}
END {
    if (state == 1) { src = dir "/" k ".src"; if (has(src)) { print "```" lang(); emit(src); print "```" } }
}
AWK

total=0; bad=0; fixed=0
for md in "${files[@]}"; do
  if [ ! -f "$md" ]; then
    echo "$md: no such file" >&2; bad=$((bad + 1)); continue
  fi
  work="$tmp/$(printf '%s' "$md" | tr '/' '_')"
  mkdir -p "$work"
  : >"$work/manifest"
  awk -v dir="$work" -v manifest="$work/manifest" "$blocks_awk" "$md"
  tofix=0
  while IFS=$'\t' read -r k line path name status; do
    total=$((total + 1))
    where="$md:$line: excerpt $path#$name"
    case $status in
      badmarker) echo "$md:$line: bad excerpt marker \"$path\" (want <!-- excerpt: path#region -->)" >&2
                 bad=$((bad + 1)); continue ;;
      unclosed)  echo "$where: its code block is never closed" >&2; bad=$((bad + 1)); continue ;;
    esac
    if [ ! -f "$root/$path" ]; then
      echo "$where: no such source file $root/$path" >&2; bad=$((bad + 1)); continue
    fi
    awk -v want="$name" "$region_awk" "$root/$path" >"$work/$k.region"
    rc=$?
    case $rc in
      0) ;;
      3) echo "$where: $path has no region \"$name\" (// region: $name ... // endregion)" >&2 ;;
      4) echo "$where: region \"$name\" in $path is never closed with // endregion" >&2 ;;
      5) echo "$where: region \"$name\" is defined twice in $path" >&2 ;;
      *) echo "$where: awk failed ($rc) reading $path" >&2 ;;
    esac
    if [ $rc -ne 0 ]; then bad=$((bad + 1)); continue; fi
    if [ "$status" = nofence ]; then
      if [ $fix -eq 1 ]; then
        case $path in *.sh) echo sh ;; *.mk|*Makefile) echo make ;; *) echo c ;; esac >"$work/$k.lang"
        cp "$work/$k.region" "$work/$k.src"; tofix=1; fixed=$((fixed + 1))
      else
        echo "$where: no fenced code block follows the marker" >&2; bad=$((bad + 1))
      fi
      continue
    fi
    if ! cmp -s "$work/$k.txt" "$work/$k.region"; then
      if [ $fix -eq 1 ]; then
        cp "$work/$k.region" "$work/$k.src"; tofix=1; fixed=$((fixed + 1))
      else
        echo "$where: the README's copy differs from the source region:" >&2
        diff -u --label "$md (line $line)" --label "$path#$name" "$work/$k.txt" "$work/$k.region" >&2
        bad=$((bad + 1))
      fi
    fi
  done <"$work/manifest"
  if [ $tofix -eq 1 ]; then
    awk -v dir="$work" "$fix_awk" "$md" >"$work/fixed.md" && cat "$work/fixed.md" >"$md"
  fi
done

if [ $bad -ne 0 ]; then
  echo "check-excerpts: $bad of $total excerpts in ${#files[@]} files do not match their source" \
       "(lessons/tools/check_excerpts.sh --fix FILE copies the source into FILE)" >&2
  exit 1
fi
if [ $fixed -ne 0 ]; then
  echo "check-excerpts: $total excerpts in ${#files[@]} files; rewrote $fixed from their source"
else
  echo "check-excerpts: $total excerpts in ${#files[@]} files, all match their source"
fi
exit 0
