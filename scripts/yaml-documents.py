#!/usr/bin/env python3
"""Write each document of multi-document YAML files to its own file, for schema checkers that
read one document per file (check-jsonschema). A GitLab CI/CD component is two documents: its
`spec:` header and the jobs.

    python scripts/yaml-documents.py OUTDIR FILE...   # OUTDIR/<file path with __>.<n>.yml
"""

import sys
from pathlib import Path


def split(text: str) -> list[str]:
    documents, current = [], []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---":
            documents.append("".join(current))
            current = []
        else:
            current.append(line)
    documents.append("".join(current))
    return [d for d in documents if d.strip() and not all(line.lstrip().startswith("#") or not line.strip() for line in d.splitlines())]


def main(argv: list[str]) -> int:
    out, files = Path(argv[0]), argv[1:]
    out.mkdir(parents=True, exist_ok=True)
    for name in files:
        for index, document in enumerate(split(Path(name).read_text()), start=1):
            (out / f"{name.replace('/', '__')}.{index}.yml").write_text(document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
