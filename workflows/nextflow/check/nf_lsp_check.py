#!/usr/bin/env python3
"""Static check of Nextflow sources with Nextflow's own language server.

Starts the language server (a jar, run with `java -jar`) as a child process,
speaks the Language Server Protocol to it over stdin/stdout, opens every
`.nf` and `.config` file under the given paths, waits until the server has
published diagnostics for each of them and then prints them, one per line:

    path:line:col: severity: message

Exit status: 0 when there is no error and every warning is allowed by the
allowlist, 1 otherwise, 2 for a usage or protocol failure (server died,
no diagnostics for a file before the timeout).

Allowlist format (one rule per line, `#` starts a comment):

    <glob on the path relative to the root>  <regular expression on the message>

separated by whitespace; a rule only ever silences warnings, never errors.

Usage: nf_lsp_check.py --jar language-server-all.jar [--allow FILE]
       [--timeout S] [--root DIR] PATH...
"""
import argparse
import fnmatch
import json
import os
import pathlib
import queue
import re
import subprocess
import sys
import threading
import time

SKIP_DIRS = {".git", ".nextflow", "work", ".nf-test", "results"}
# nf-test's own settings file is Groovy for nf-test, not a Nextflow config.
SKIP_NAMES = {"nf-test.config"}
SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}


class Server:
    """The language server child process and the two directions of JSON-RPC."""

    def __init__(self, jar, debug=False):
        self.proc = subprocess.Popen(
            ["java", "-jar", str(jar)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.inbox = queue.Queue()
        self.next_id = 0
        self.debug = debug
        self.stderr_tail = []
        threading.Thread(target=self._read_messages, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _read_messages(self):
        stream = self.proc.stdout
        while True:
            length = None
            while True:  # headers end with an empty line
                line = stream.readline()
                if not line:
                    self.inbox.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            self.inbox.put(json.loads(stream.read(length)))

    def _drain_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace")
            self.stderr_tail = (self.stderr_tail + [line])[-20:]
            if self.debug:
                sys.stderr.write("[server] " + line)

    def _write(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.proc.stdin.flush()

    def notify(self, method, params):
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params):
        self.next_id += 1
        self._write({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def answer(self, request_id, result=None):
        self._write({"jsonrpc": "2.0", "id": request_id, "result": result})

    def receive(self, timeout):
        """Next message, or None on timeout; raises when the server is gone."""
        try:
            message = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return None
        if message is None:
            raise RuntimeError("language server exited:\n" + "".join(self.stderr_tail))
        if self.debug:
            sys.stderr.write("[recv] " + json.dumps(message)[:300] + "\n")
        return message

    def close(self):
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def nextflow_files(paths):
    found = []
    for path in map(pathlib.Path, paths):
        path = path.resolve()
        if path.is_file():
            found.append(path)
            continue
        for candidate in sorted(path.rglob("*")):
            parts = candidate.relative_to(path).parts
            if (candidate.suffix in (".nf", ".config") and candidate.name not in SKIP_NAMES
                    and not SKIP_DIRS.intersection(parts)):
                found.append(candidate)
    return found


def load_allowlist(path):
    rules = []
    if not path:
        return rules
    for number, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        glob, _, pattern = line.partition(" ")
        pattern = pattern.strip()
        if not pattern:
            sys.exit(f"{path}:{number}: a rule needs a path glob and a message pattern")
        rules.append((glob, re.compile(pattern)))
    return rules


def collect(server, files, root, timeout, quiet_period):
    """Open every file and gather published diagnostics, keyed by URI."""
    init = server.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {"textDocument": {"publishDiagnostics": {"relatedInformation": False}}},
        },
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = server.receive(1.0)
        if message and message.get("id") == init and "method" not in message:
            break
    else:
        raise RuntimeError("no answer to initialize")
    server.notify("initialized", {})
    server.notify(
        "workspace/didChangeConfiguration",
        {"settings": {"nextflow": {"errorReportingMode": os.environ.get("NF_LSP_MODE", "paranoid"),
                                   "typeChecking": os.environ.get("NF_LSP_TYPECHECK") == "1",
                                   "files": {"exclude": sorted(SKIP_DIRS)}}}},
    )
    for f in files:
        language = "nextflow-config" if f.suffix == ".config" else "nextflow"
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": f.as_uri(), "languageId": language, "version": 1,
                              "text": f.read_text()}},
        )
    wanted = {f.as_uri() for f in files}
    published = {}
    last_news = time.monotonic()
    while time.monotonic() < deadline:
        message = server.receive(0.5)
        if message is None:
            # The server republishes when it re-analyses dependents; wait for
            # a quiet spell after the last file arrived before trusting it.
            if wanted <= published.keys() and time.monotonic() - last_news > quiet_period:
                break
            continue
        if message.get("method") == "textDocument/publishDiagnostics":
            published[message["params"]["uri"]] = message["params"]["diagnostics"]
            last_news = time.monotonic()
        elif "method" in message and "id" in message:
            server.answer(message["id"])  # e.g. workspace/configuration: no extra settings
    return published


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jar", required=True)
    parser.add_argument("--allow", help="allowlist of warnings (see module docstring)")
    parser.add_argument("--root", help="workspace root (default: common parent of PATHs)")
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--quiet-period", type=float, default=4.0)
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()

    files = nextflow_files(args.paths)
    if not files:
        print("no .nf or .config files found", file=sys.stderr)
        return 2
    root = pathlib.Path(args.root).resolve() if args.root else pathlib.Path(
        os.path.commonpath([str(f.parent) for f in files]))
    rules = load_allowlist(args.allow)

    server = Server(args.jar, debug=args.debug)
    try:
        published = collect(server, files, root, args.timeout, args.quiet_period)
    except RuntimeError as e:
        print(f"language server failure: {e}", file=sys.stderr)
        server.proc.kill()
        return 2
    server.close()

    counts = {"error": 0, "warning": 0, "allowed": 0, "missing": 0}
    for f in files:
        rel = os.path.relpath(f, root)
        diagnostics = published.get(f.as_uri())
        if diagnostics is None:
            print(f"{rel}: no diagnostics received before the timeout")
            counts["missing"] += 1
            continue
        for d in sorted(diagnostics, key=lambda d: (d["range"]["start"]["line"], d["range"]["start"]["character"])):
            severity = SEVERITY.get(d.get("severity", 1), "error")
            start = d["range"]["start"]
            message = " ".join(d["message"].split())
            allowed = severity == "warning" and any(
                fnmatch.fnmatch(rel, glob) and pattern.search(message) for glob, pattern in rules)
            tag = f"{severity} (allowed)" if allowed else severity
            print(f"{rel}:{start['line'] + 1}:{start['character'] + 1}: {tag}: {message}")
            if allowed:
                counts["allowed"] += 1
            elif severity in ("error", "warning"):
                counts[severity] += 1
    print(f"{len(files)} files: {counts['error']} errors, {counts['warning']} warnings, "
          f"{counts['allowed']} allowed warnings, {counts['missing']} without diagnostics")
    if counts["missing"]:
        return 2
    return 1 if counts["error"] or counts["warning"] else 0


if __name__ == "__main__":
    sys.exit(main())
