#!/usr/bin/env python3
"""Regenerates the help text in book/src/cli-reference.md from the built binary.

Each ```text block that holds a `Usage: chartsmith VERB...` line is replaced by the output of
`chartsmith VERB... --help`; the first block's `Commands:` list comes from `chartsmith --help`.
Prose between the blocks is left alone. Run after changing a flag or a doc comment:

    cargo build -p chartsmith-cli && scripts/gen-cli-reference.py [path/to/chartsmith]
"""
import re
import subprocess
import sys
from pathlib import Path

repo = Path(__file__).resolve().parent.parent
binary = sys.argv[1] if len(sys.argv) > 1 else str(repo / "target/debug/chartsmith")
page = repo / "book/src/cli-reference.md"


def run(*args: str) -> str:
    text = subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout
    return "\n".join(line.rstrip() for line in text.split("\n"))


def verb_of(block: str):
    match = re.search(r"^Usage: chartsmith ((?:[a-z][a-z-]* ?)+)", block, re.M)
    return match.group(1).split() if match else None


def commands_list() -> str:
    text = run("--help")
    start = text.index("Commands:")
    end = text.index("\n\n", start)
    return text[start:end]


def regenerate(text: str) -> str:
    out, pos = [], 0
    for match in re.finditer(r"```text\n(.*?)```", text, re.S):
        block = match.group(1)
        verb = verb_of(block)
        if verb:
            new = run(*verb, "--help")
        elif block.startswith("chartsmith <COMMAND>") and "Commands:" in block:
            start = block.index("Commands:")
            end = block.find("\n\n", start)
            end = len(block) - 1 if end < 0 else end
            new = block[:start] + commands_list() + block[end:]
        else:
            continue
        out.append(text[pos : match.start(1)])
        out.append(new if new.endswith("\n") else new + "\n")
        pos = match.end(1)
    out.append(text[pos:])
    return "".join(out)


if __name__ == "__main__":
    page.write_text(regenerate(page.read_text()))
