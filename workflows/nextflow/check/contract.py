#!/usr/bin/env python3
"""Contract between the Nextflow modules and the tools they call.

For every modules/**/main.nf:
  1. meta.yml lists the same inputs (tuple by tuple, element by element) and
     the same outputs (emit by emit, element by element, topics included)
     as main.nf declares.
  2. Every `--flag` that the module's script passes to `ctdna <command>`
     (written in the shell command or in a Groovy string spliced into it)
     appears as an option in `ctdna <command> --help`, and <command> is
     listed by `ctdna --help`. Flags passed to `bcftools <command>` are
     checked the same way against bcftools' usage text.
  3. Flags written in conf/modules.config `ext.args` (the string literals
     of its expression: e.g. the --molecules flags) are checked against the
     command of the process they configure (an alias from main.nf's
     `include { X as Y }` configures X's command).
  4. No module names a `container`: the pipeline's --ctdna_container,
     set in conf/modules.config, must reach every process (a process's own
     directive would win over it).
  5. Every process alias of main.nf (`include { X as Y }`) has its own
     `withName: 'Y'` block in conf/modules.config (its outputs are named
     and published apart from X's: e.g. CTDNA_CALL_SERIES, CTDNA_MRD_SERIES).
  6. Every image tag `ctdna:X.Y.Z` named in the pipeline and in
     workflows/Dockerfile is the version that `ctdna --version` prints.

Usage: contract.py --ctdna PATH/TO/ctdna [--bcftools bcftools] [PIPELINE_DIR]
Needs PyYAML. Exit 1 with one line per broken contract.
"""
import argparse
import pathlib
import re
import subprocess
import sys

import yaml

SECTION = re.compile(r"^\s*(input|output|when|script|shell|exec|stub):\s*$")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
TOOLS = ("ctdna", "bcftools")


def split_top(text, sep=","):
    """Split on `sep` outside quotes and brackets."""
    parts, depth, quote, current = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def unquote(s):
    s = s.strip()
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"" else s


def sections(source):
    """The process body's sections: name -> list of lines."""
    out, name = {}, None
    for line in source.splitlines():
        m = SECTION.match(line)
        if m:
            name = m.group(1)
            out[name] = []
        elif name:
            out[name].append(line)
    return out


def declaration(line):
    """`tuple val(meta), path(x), emit: y` -> (['meta', 'x'], {'emit': 'y'})."""
    elements, options = [], {}
    for part in split_top(line.strip()):
        if part.startswith("tuple "):
            part = part[len("tuple "):]
        m = re.match(r"^(\w+)\s*:\s*(.+)$", part)
        if m and m.group(1) in ("emit", "topic", "optional", "arity", "stageAs"):
            options[m.group(1)] = m.group(2).strip()
            continue
        m = re.match(r"^(val|path|env|eval|file|stdin|stdout)\s*\((.*)\)$", part, re.S)
        if not m:
            m2 = re.match(r"^(val|path|env|file)\s+(\S+)$", part)
            if not m2:
                raise ValueError(f"cannot read declaration element {part!r}")
            elements.append(unquote(m2.group(2)))
            continue
        elements.append(unquote(split_top(m.group(2))[0]))
    return elements, options


def declarations(lines):
    # Nextflow allows a declaration to continue on the next line after a comma.
    joined, buffer = [], ""
    for line in lines:
        line = line.rstrip()
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        buffer = f"{buffer} {line.strip()}" if buffer else line.strip()
        if not buffer.endswith(","):
            joined.append(buffer)
            buffer = ""
    return [declaration(line) for line in joined]


def yaml_names(group):
    if isinstance(group, dict):
        return [str(k) for k in group]
    return [str(next(iter(item))) for item in group]


def check_meta(module, problems):
    source = (module / "main.nf").read_text()
    meta = yaml.safe_load((module / "meta.yml").read_text())
    secs = sections(source)
    nf_inputs = [elements for elements, _ in declarations(secs.get("input", []))]
    yml_inputs = [yaml_names(g) for g in meta.get("input") or []]
    if nf_inputs != yml_inputs:
        problems.append(f"{module}: inputs differ\n  main.nf:  {nf_inputs}\n  meta.yml: {yml_inputs}")

    nf_outputs, nf_topics = {}, {}
    for elements, options in declarations(secs.get("output", [])):
        emit = options.get("emit")
        if not emit:
            problems.append(f"{module}: output {elements} has no emit: name")
            continue
        nf_outputs[emit] = [elements]
        if "topic" in options:
            nf_topics.setdefault(options["topic"], []).append(elements)
    yml_outputs = {emit: [yaml_names(g) for g in groups]
                   for emit, groups in (meta.get("output") or {}).items()}
    if nf_outputs != yml_outputs:
        problems.append(f"{module}: outputs differ\n  main.nf:  {nf_outputs}\n  meta.yml: {yml_outputs}")
    yml_topics = {topic: [yaml_names(g) for g in groups]
                  for topic, groups in (meta.get("topics") or {}).items()}
    if nf_topics != yml_topics:
        problems.append(f"{module}: topics differ\n  main.nf:  {nf_topics}\n  meta.yml: {yml_topics}")


def commands_with_flags(script_lines):
    """(tool, subcommand, flags) for each tool command line in a script section."""
    text = "\n".join(script_lines)
    # Groovy variables holding flags, e.g. def shard = n > 1 ? "--shard ..." : ''
    variables = {m.group(1): FLAG.findall(m.group(2))
                 for m in re.finditer(r"^\s*def\s+(\w+)\s*=\s*(.+)$", text, re.M)}
    shell = text.split('"""', 2)[1] if text.count('"""') >= 2 else ""
    found = []
    # Join backslash continuations (written `\\` inside a Groovy string).
    for line in re.sub(r"\\\\\s*\n", " ", shell).splitlines():
        m = re.match(r"^\s*(%s)\s+([a-z][a-z-]*)\b(.*)$" % "|".join(TOOLS), line)
        if not m:
            continue
        tool, sub, rest = m.groups()
        flags = FLAG.findall(rest)
        for var in re.findall(r"\$\{(\w+)\}|\$(\w+)", rest):
            flags += variables.get(var[0] or var[1], [])
        found.append((tool, sub, sorted(set(flags))))
    return found


class Helps:
    def __init__(self, ctdna, bcftools):
        self.exe = {"ctdna": ctdna, "bcftools": bcftools}
        self.cache = {}

    def text(self, tool, sub=None):
        key = (tool, sub)
        if key not in self.cache:
            if tool == "ctdna":
                argv = [self.exe[tool]] + ([sub, "--help"] if sub else ["--help"])
            else:  # bcftools answers an unknown --help with the subcommand's usage
                argv = [self.exe[tool]] + ([sub, "--help"] if sub else [])
            r = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
            self.cache[key] = r.stdout + r.stderr
        return self.cache[key]

    def version(self):
        r = subprocess.run([self.exe["ctdna"], "--version"], capture_output=True, text=True)
        return r.stdout.split()[-1] if r.stdout.strip() else "unknown"

    def has_command(self, tool, sub):
        if tool == "ctdna":
            return re.search(r"^\s+%s\s" % re.escape(sub), self.text(tool), re.M) is not None
        return "Usage:" in self.text(tool, sub) and "unrecognized command" not in self.text(tool, sub)

    def has_flag(self, tool, sub, flag):
        # An option definition: the flag at the start of a help line, or after "-x, ".
        pattern = r"^\s*(-\S,?\s+)?%s([\s=,\[<]|$)" % re.escape(flag)
        return re.search(pattern, self.text(tool, sub), re.M) is not None


def check_flags(label, commands, helps, problems):
    for tool, sub, flags in commands:
        if not helps.has_command(tool, sub):
            problems.append(f"{label}: `{tool} {sub}` is not a {tool} command")
            continue
        for flag in flags:
            if not helps.has_flag(tool, sub, flag):
                problems.append(f"{label}: `{tool} {sub}` has no option {flag}")


def module_commands(module):
    return commands_with_flags(sections((module / "main.nf").read_text()).get("script", []))


def config_args(pipeline):
    """Flags in the string literals of ext.args per process name in conf/modules.config."""
    text = (pipeline / "conf" / "modules.config").read_text()
    found = {}
    for m in re.finditer(r"withName:\s*'([^']+)'\s*\{(.*?)\n    \}", text, re.S):
        for expression in re.findall(r"ext\.args\s*=\s*(.+)", m.group(2)):
            for literal in re.findall(r"(['\"])(.*?)\1", expression):
                found.setdefault(m.group(1), []).extend(FLAG.findall(literal[1]))
    return found


def aliases(pipeline):
    """`include { X as Y }` in main.nf: Y -> X."""
    text = (pipeline / "main.nf").read_text()
    return dict((alias, name) for name, alias in re.findall(r"include\s*\{\s*(\w+)\s+as\s+(\w+)\s*\}", text))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ctdna", required=True)
    parser.add_argument("--bcftools", default="bcftools")
    parser.add_argument("pipeline", nargs="?", default=pathlib.Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    pipeline = pathlib.Path(args.pipeline)
    helps = Helps(args.ctdna, args.bcftools)

    problems, checked = [], 0
    modules = sorted(p.parent for p in (pipeline / "modules").rglob("main.nf"))
    process_commands = {}
    for module in modules:
        rel = module.relative_to(pipeline)
        check_meta(module, problems)
        commands = module_commands(module)
        if not commands:
            problems.append(f"{rel}: no ctdna/bcftools command found in its script")
        check_flags(rel, commands, helps, problems)
        source = (module / "main.nf").read_text()
        name = re.search(r"^process\s+(\w+)", source, re.M).group(1)
        process_commands[name] = commands
        if re.search(r"^\s*container\s", source, re.M):
            problems.append(f"{rel}: names a container; the pipeline's --ctdna_container "
                            "(conf/modules.config) would not reach it")
        checked += 1
        print(f"{rel}: {', '.join(f'{t} {s} ({len(f)} flags)' for t, s, f in commands)}")

    alias_of = aliases(pipeline)
    for process, flags in config_args(pipeline).items():
        commands = process_commands.get(alias_of.get(process, process))
        if not commands:
            problems.append(f"conf/modules.config: ext.args for unknown process {process}")
            continue
        tool, sub, _ = commands[0]
        check_flags(f"conf/modules.config {process}", [(tool, sub, flags)], helps, problems)

    configured = set(re.findall(r"withName:\s*'([^']+)'", (pipeline / "conf" / "modules.config").read_text()))
    for alias in sorted(alias_of):
        if alias not in configured:
            problems.append(f"conf/modules.config: no withName: '{alias}' block for main.nf's alias of {alias_of[alias]}")

    version = helps.version()
    for path in sorted(pipeline.rglob("*.nf")) + sorted(pipeline.rglob("*.config")) + [pipeline.parent / "Dockerfile"]:
        if not path.is_file():
            continue
        for tag in re.findall(r"\bctdna:(\d+\.\d+\.\d+)\b", path.read_text()):
            if tag != version:
                problems.append(f"{path.relative_to(pipeline.parent)}: image tag ctdna:{tag}, "
                                f"but `ctdna --version` says {version}")

    for problem in problems:
        print("FAIL " + problem)
    print(f"contract: {checked} modules checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
