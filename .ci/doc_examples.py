#!/usr/bin/env python3
"""Counts the public items of chunkpool whose docs carry a code example.

Runs `cargo +nightly rustdoc --lib` with JSON output (an unstable rustdoc
format, hence nightly) and walks the API reachable from the crate root:
types (structs, enums, traits, type aliases), free functions and constants,
and the methods and associated consts of inherent impls and trait
definitions. Trait impl methods (`fmt`, `clone`, `drop`...), private items,
enum variants and fields are not counted. An item "has an example" when its
doc string contains a ``` fence.

    python3 .ci/doc_examples.py                  # report
    python3 .ci/doc_examples.py --require-types  # also fail if a type lacks one

The JSON format is unstable: if a new nightly changes it, this script fails
with a KeyError rather than miscounting.
"""
import json
import os
import subprocess
import sys

TYPE_KINDS = {"struct", "enum", "trait", "type_alias"}
FN_KINDS = {"function", "constant", "static", "assoc_const"}


def rustdoc_json():
    """Builds the crate's rustdoc JSON and returns it parsed."""
    cmd = ["cargo", "+nightly", "rustdoc", "--lib", "-p", "chunkpool", "--",
           "-Z", "unstable-options", "--output-format", "json"]
    if subprocess.run(cmd).returncode != 0:
        sys.exit("doc_examples.py: `%s` failed (is the nightly toolchain "
                 "installed? `rustup toolchain install nightly`)" % " ".join(cmd))
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1"],
        check=True, capture_output=True, text=True).stdout)
    with open(os.path.join(meta["target_directory"], "doc", "chunkpool.json")) as f:
        return json.load(f)


def public_items(krate):
    """Returns (kind, path, item) for every counted item, once each."""
    index, seen, found = krate["index"], set(), []

    def visit(item_id, path):
        item = index.get(str(item_id))
        if item is None or item_id in seen:  # another crate's, or met already
            return
        seen.add(item_id)
        kind, name = next(iter(item["inner"])), item["name"]
        inner = item["inner"][kind]
        if kind == "module":
            for child in inner["items"]:
                if index[str(child)]["visibility"] == "public":
                    visit(child, path)
        elif kind == "use":  # a re-export: count the item it names
            visit(inner["id"], path)
        elif kind in TYPE_KINDS or kind in FN_KINDS:
            found.append((kind, path + name, item))
        if kind == "trait":
            for child in inner["items"]:
                visit(child, f"{path}{name}::")
        elif kind in ("struct", "enum"):
            for impl_id in inner["impls"]:
                impl = index[str(impl_id)]["inner"]["impl"]
                if impl["trait"] is None and not impl["is_synthetic"]:
                    for child in impl["items"]:
                        if index[str(child)]["visibility"] == "public":
                            visit(child, f"{path}{name}::")

    visit(krate["root"], "")
    return found


def location(item):
    """(file, line) of an item's definition, for sorting and printing."""
    span = item.get("span") or {"filename": "?", "begin": [0]}
    return span["filename"], span["begin"][0]


def main():
    require_types = "--require-types" in sys.argv[1:]
    items = public_items(rustdoc_json())
    groups = {
        "types": [x for x in items if x[0] in TYPE_KINDS],
        "methods/functions/consts": [x for x in items if x[0] not in TYPE_KINDS],
    }
    for label, group in groups.items():
        with_example = sum("```" in (item["docs"] or "") for _, _, item in group)
        print(f"{label}: {with_example}/{len(group)} with an example")
    missing = [x for x in items if "```" not in (x[2]["docs"] or "")]
    if missing:
        print("\nwithout an example:")
        for k, path, item in sorted(missing, key=lambda x: location(x[2])):
            print(f"  {k:<12} {path:<48} {'%s:%d' % location(item)}")
    missing_types = [p for k, p, _ in missing if k in TYPE_KINDS]
    if require_types and missing_types:
        print(f"\nerror: {len(missing_types)} public type(s) without an example: "
              + ", ".join(missing_types), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
