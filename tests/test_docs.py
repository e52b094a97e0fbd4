"""The documentation stays inside the repository: every relative link resolves, nothing points out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
pytestmark = pytest.mark.skipif(not (ROOT / "README.md").exists(), reason="not in a clone of the repository")


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)  # code blocks are not links
    return LINK.findall(text)


def test_the_docs_exist_and_link_each_other():
    assert {"model.md", "hanoi-data.md"} <= {p.name for p in DOCS}
    assert "docs/model.md" in links(ROOT / "README.md") and "docs/hanoi-data.md" in links(ROOT / "README.md")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(doc: Path):
    for target in links(doc):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a web address or an anchor in the same page
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        assert path.is_relative_to(ROOT), f"{doc.name}: {target} points outside the repository"
        assert path.exists(), f"{doc.name}: {target} does not exist"


def test_no_path_outside_the_repository():
    files = [*DOCS, *(ROOT / "configs").glob("**/*.yaml"), ROOT / "pyproject.toml", *(ROOT / "flowsim").glob("*.py")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for outside in ("../shared", "/work/", "hanoi-facts"):
            assert outside not in text, f"{path.relative_to(ROOT)} names {outside}"
