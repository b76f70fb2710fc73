"""docs/results.md and docs/representations.md quote the tables the scripts print from committed results, and
the README and docs link files that exist."""
import re
from pathlib import Path

import pytest
from script_loading import load_script

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script, results, page", [
    ("bench_table", "figures/bench_standard.json", "docs/results.md"),
    ("curve_tables", "figures/results_07.json", "docs/results.md"),
    ("representation_tables", "figures/representations", "docs/representations.md")])
def test_every_table_row_the_scripts_print_from_committed_results_is_on_its_page(capsys, script, results, page):
    load_script(script).main(str(ROOT / results))
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    assert rows, f"scripts/{script}.py printed no table from {results}"
    lines = set((ROOT / page).read_text().splitlines())
    missing = [row for row in rows if row not in lines]
    assert not missing, f"{page} lacks these rows of `python scripts/{script}.py {results}`:\n" + "\n".join(missing)


def _prose(markdown: str) -> str:
    """The text without code blocks and inline code, where `x["a"](b)` is Python, not a link."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S))


def test_every_relative_link_of_the_readme_and_docs_names_a_file_of_the_project():
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    links = [(document, target) for document in documents
             for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", _prose(document.read_text()))
             if not re.match(r"[a-z]+:", target)]  # not http: or mailto:
    assert len(links) > 10  # the results page alone shows a dozen figures
    broken = [f"{document.relative_to(ROOT)} -> {target}" for document, target in links
              if not (document.parent / target).exists()]
    assert not broken, "links to missing files: " + ", ".join(broken)
