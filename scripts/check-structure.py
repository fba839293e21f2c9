#!/usr/bin/env python3
"""Structure check: no source file over 700 lines, no import circle over three files in the Rust code.

The line limit covers the Rust, Python, TypeScript and shell sources git tracks in the whole
repository (not venvs or caches a test run installs inside it; files that say on their first
line that they are generated are exempt: their source is checked).

Within each crate (every root: src/lib.rs, src/main.rs, src/bin/*.rs, tests/*.rs, benches/*.rs,
examples/*.rs, build.rs) the module tree is resolved from `mod` declarations, then every
`crate::…`, `super::…`, `self::…` path and every path that starts with a child module's name is
resolved to the file that defines it. Those references are the edges of the import graph; a parent
declaring its children with `mod` (and re-exporting them with `pub use child::…`) is not an edge. A strongly connected component of more than three
files fails the check, and the largest components are printed either way.

Usage: scripts/check-structure.py [PATH ...]   (default: crates/ and src-tauri/ at the repo root
for the import circles, the whole repo for the line limit)
Exit status 1 names the offending files. Python 3 standard library only.
"""

import os
import re
import subprocess
import sys

MAX_LINES = 700
MAX_COMPONENT = 3
SKIP_DIRS = {"target", "node_modules", ".git", "dist", ".venv", "__pycache__", ".mypy_cache"}
SOURCE_SUFFIXES = (".rs", ".py", ".ts", ".tsx", ".sh")

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_code(text):
    """Blanks comments, strings and char literals (keeping newlines) so only code is matched."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
            continue
        if text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
            continue
        m = re.match(r'b?r(#*)"', text[i:i + 300])
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append(' ""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            out.append(' ""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == "'":
            m = re.match(r"'(\\.[^']{0,8}|[^\\'])'", text[i:i + 12])
            if m:
                out.append(" ' ' ")
                i += m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> [['a','b'], ['a','c','d'], ['a','c','e']] (aliases and globs dropped)."""
    tree = re.sub(r"\s+as\s+" + IDENT, "", tree)
    tree = re.sub(r"\s+", "", tree)

    def split_top(s):
        parts, depth, cur = [], 0, ""
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
        return parts

    def walk(s, prefix):
        brace = s.find("{")
        if brace < 0:
            segs = [x for x in s.split("::") if x and x != "*"]
            return [prefix + segs]
        head = [x for x in s[:brace].split("::") if x]
        inner = s[brace + 1:s.rfind("}")]
        res = []
        for part in split_top(inner):
            res.extend(walk(part, prefix + head))
        return res

    return walk(tree, [])


class Crate:
    def __init__(self, root_file):
        self.root = root_file
        self.files = {}  # module path tuple -> file
        self.file_mod = {}  # file -> module path tuple
        self.children = {}  # module path tuple -> set of child names (file and inline)
        self.code = {}
        self._load(root_file, ())

    def _load(self, path, modpath):
        if path in self.file_mod or not os.path.isfile(path):
            return
        self.files[modpath] = path
        self.file_mod[path] = modpath
        with open(path, encoding="utf-8", errors="replace") as f:
            code = strip_code(f.read())
        self.code[path] = code
        base = os.path.basename(path)
        if base in ("mod.rs", "lib.rs", "main.rs") or path == self.root:
            mod_dir = os.path.dirname(path)
        else:
            mod_dir = os.path.join(os.path.dirname(path), base[:-3])
        self.children.setdefault(modpath, set())
        for m in re.finditer(
            r'(#\[path\s*=\s*""\]\s*)?(?:pub(?:\([^)]*\))?\s+)?mod\s+(' + IDENT + r")\s*([;{])", code
        ):
            name = m.group(2)
            self.children[modpath].add(name)
            if m.group(3) == "{":
                self.children.setdefault(modpath + (name,), set())
                continue
            for cand in (os.path.join(mod_dir, name + ".rs"), os.path.join(mod_dir, name, "mod.rs")):
                if os.path.isfile(cand):
                    self._load(cand, modpath + (name,))
                    break

    def inline_mods(self, code, modpath):
        """Yields (start, end, module path) spans of inline `mod x { … }` blocks."""
        spans = []
        for m in re.finditer(r"\bmod\s+(" + IDENT + r")\s*\{", code):
            depth, j = 1, m.end()
            while j < len(code) and depth:
                depth += {"{": 1, "}": -1}.get(code[j], 0)
                j += 1
            spans.append((m.end(), j, m.group(1)))
        return spans

    def module_at(self, spans, pos, modpath):
        path = modpath
        for start, end, name in spans:
            if start <= pos < end:
                path = path + (name,)
        return path

    def resolve(self, segs, modpath):
        """Resolves a path to the file defining its longest module prefix (None if external)."""
        if not segs:
            return None
        if segs[0] == "crate":
            target = []
            rest = segs[1:]
        elif segs[0] in ("super", "self"):
            target = list(modpath)
            rest = segs
            while rest and rest[0] in ("super", "self"):
                if rest[0] == "super":
                    if not target:
                        return None
                    target.pop()
                rest = rest[1:]
        elif segs[0] in self.children.get(modpath, ()):
            target = list(modpath)
            rest = segs
        else:
            return None
        for seg in rest:
            if seg in self.children.get(tuple(target), ()):
                target.append(seg)
            else:
                break
        t = tuple(target)
        while t not in self.files:
            t = t[:-1]
        return self.files[t]

    def is_own_child(self, segs, modpath):
        rest = segs[1:] if segs and segs[0] == "self" else segs
        return bool(rest) and rest[0] in self.children.get(modpath, ())

    def edges(self):
        graph = {f: set() for f in self.file_mod}
        for path, modpath in self.file_mod.items():
            code = self.code[path]
            spans = self.inline_mods(code, modpath)
            used = []
            for m in re.finditer(r"(\bpub(?:\([^)]*\))?\s+)?\buse\s+([^;]+);", code):
                here = self.module_at(spans, m.start(), modpath)
                for segs in expand_use(m.group(2)):
                    if m.group(1) and self.is_own_child(segs, here):
                        # `mod x; pub use x::Item;` is the parent's facade, i.e. part of
                        # declaring the child, not an import of it.
                        continue
                    used.append((segs, here))
            code_wo_use = re.sub(r"\buse\s+[^;]+;", lambda m: " " * len(m.group(0)), code)
            for m in re.finditer(r"(?<![$A-Za-z0-9_:])(" + IDENT + r")((?:\s*::\s*" + IDENT + r")+)", code_wo_use):
                here = self.module_at(spans, m.start(), modpath)
                segs = [m.group(1)] + [s.strip() for s in m.group(2).split("::") if s.strip()]
                used.append((segs, here))
            for segs, here in used:
                target = self.resolve(segs, here)
                if target and target != path:
                    graph[path].add(target)
        return graph


def sccs(graph):
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def crate_roots(top):
    roots = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        if "Cargo.toml" not in filenames:
            continue
        for rel in ("src/lib.rs", "src/main.rs", "build.rs"):
            p = os.path.join(dirpath, rel)
            if os.path.isfile(p):
                roots.append(p)
        for sub in ("src/bin", "tests", "benches", "examples"):
            d = os.path.join(dirpath, sub)
            if os.path.isdir(d):
                for name in sorted(os.listdir(d)):
                    p = os.path.join(d, name)
                    if name.endswith(".rs"):
                        roots.append(p)
                    elif os.path.isfile(os.path.join(p, "main.rs")):
                        roots.append(os.path.join(p, "main.rs"))
    return roots


def source_files(top):
    """Hand-written sources under top: the files git tracks there (so installed venvs, caches and
    build output are never counted), or every file when top is not in a git work tree; generated
    files (their first line says so) are skipped."""
    try:
        listed = subprocess.run(
            ["git", "-C", top, "ls-files", "-z", "--full-name", "."],
            capture_output=True,
            check=True,
        ).stdout.decode()
        root = subprocess.run(
            ["git", "-C", top, "rev-parse", "--show-toplevel"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout.strip()
        paths = [os.path.join(root, p) for p in listed.split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        paths = []
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            paths.extend(os.path.join(dirpath, name) for name in sorted(filenames))
    for path in sorted(paths):
        if path.endswith(SOURCE_SUFFIXES) and os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                if "generated" in f.readline().lower():
                    continue
            yield path


def main(argv):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tops = argv[1:] or [os.path.join(repo, "crates"), os.path.join(repo, "src-tauri")]
    failed = False

    def rel(p):
        return os.path.relpath(p, repo)

    long_files = []
    for top in argv[1:] or [repo]:
        for path in source_files(top):
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = sum(1 for _ in f)
            if lines > MAX_LINES:
                long_files.append((lines, path))
    if long_files:
        failed = True
        print(f"FAIL: {len(long_files)} file(s) over {MAX_LINES} lines:")
        for lines, path in sorted(long_files, reverse=True):
            print(f"  {lines:5d}  {rel(path)}")
    else:
        print(f"ok: no source file over {MAX_LINES} lines")

    for top in tops:
        for root in crate_roots(top):
            crate = Crate(root)
            comps = [c for c in sccs(crate.edges()) if len(c) > 1]
            comps.sort(key=len, reverse=True)
            big = [c for c in comps if len(c) > MAX_COMPONENT]
            label = rel(root)
            if big:
                failed = True
                print(f"FAIL: {label}: import circle(s) of more than {MAX_COMPONENT} files:")
            elif comps:
                print(f"ok: {label}: largest import circles ({len(crate.file_mod)} files):")
            else:
                if len(crate.file_mod) > 1:
                    print(f"ok: {label}: no import circle ({len(crate.file_mod)} files)")
                continue
            for comp in comps[:5]:
                print(f"  {len(comp)} files: " + ", ".join(rel(p) for p in comp))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
