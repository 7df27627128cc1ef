"""README.md tells users every setting there is: each environment variable the app and the core read,
each URL parameter the page reads and each section id, in its tables; and it stays short."""

from __future__ import annotations

import re

from conftest import REPO
from mnist_app.state import SECTIONS

README = (REPO / "README.md").read_text()
SOURCES = [REPO / "app.py", *(REPO / "mnist_app").rglob("*.py"), *(REPO / "mnist_core").rglob("*.py")]
# os.environ.get("X"), os.environ["X"], os.environ.setdefault("X", ...), os.getenv("X"), or a constant X_ENV = "X"
ENV_READ = re.compile(r"""environ(?:\.get|\.setdefault)?[\[(]\s*["'](\w+)["']|getenv\(\s*["'](\w+)["']|_ENV\s*=\s*["'](\w+)["']""")
QUERY_READ = re.compile(r"""query(?:\.get\(|\[)\s*["'](\w+)["']""")


def table_rows() -> set[str]:
    """The first cell of every table row, without its backquotes."""
    return {m.group(1) for m in re.finditer(r"^\| `([^`]+)` \|", README, re.M)}


def test_every_environment_variable_the_code_reads_is_in_the_readme():
    read = {name for path in SOURCES for m in ENV_READ.finditer(path.read_text()) for name in m.groups() if name}
    assert {"MNIST_DATA_DIR", "MNIST_ROOM_DB", "MNIST_PRESENTER_KEY"} <= read  # the scan finds them
    assert read - table_rows() == set()


def test_every_url_parameter_and_section_is_in_the_readme():
    read = set(QUERY_READ.findall((REPO / "mnist_app" / "frame.py").read_text()))
    assert {"lang", "section", "presenter"} <= read
    assert read - table_rows() == set()
    sections_row = next(line for line in README.splitlines() if line.startswith("| `section` |"))
    assert [s for s in SECTIONS if f"`{s}`" not in sections_row] == []


def test_the_readme_is_short_and_links_its_docs():
    assert len(README.splitlines()) <= 220
    for link in re.findall(r"\]\(((?:docs|bench)/[^)#]+)\)", README):
        assert (REPO / link).is_file(), link
