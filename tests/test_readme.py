"""The README quotes tables the scripts print from committed results, and links files that exist."""
import re
from pathlib import Path

import pytest
from script_loading import load_script

ROOT = Path(__file__).resolve().parents[1]
README_LINES = set((ROOT / "README.md").read_text().splitlines())


def _table_rows(capsys, script: str, results: str) -> list:
    load_script(script).main(str(ROOT / results))
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]


@pytest.mark.parametrize("script, results", [("bench_table", "figures/bench_standard.json"),
                                             ("curve_tables", "figures/results_07.json")])
def test_every_table_row_the_scripts_print_from_committed_results_is_in_the_readme(capsys, script, results):
    rows = _table_rows(capsys, script, results)
    assert rows, f"scripts/{script}.py printed no table from {results}"
    missing = [row for row in rows if row not in README_LINES]
    assert not missing, f"README.md lacks these rows of `python scripts/{script}.py {results}`:\n" + "\n".join(missing)


def test_every_relative_link_of_the_readme_and_docs_names_a_file_of_the_project():
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    links = [(document, target) for document in documents
             for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", document.read_text())
             if not re.match(r"[a-z]+:", target)]  # not http: or mailto:
    assert len(links) > 10  # the README alone links every figure
    broken = [f"{document.relative_to(ROOT)} -> {target}" for document, target in links
              if not (document.parent / target).exists()]
    assert not broken, "links to missing files: " + ", ".join(broken)
