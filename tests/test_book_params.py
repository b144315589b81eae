"""The book's sizes live in book/params: each chapter's parameters cell holds the full values, the quick
profile's changes are listed per chapter, and no notebook decides a size with `if quick`."""

import json
import re
from pathlib import Path

import yaml

from tools.book import chapter_parameters, notebooks_in_toc

ROOT = Path(__file__).resolve().parent.parent


def _parameters_cell(nb: Path) -> str:
    cells = json.loads(nb.read_text())["cells"]
    (cell,) = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    return "".join(cell["source"])


def test_no_notebook_decides_a_size_by_profile():
    for nb in notebooks_in_toc():
        code = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
        assert not re.search(r"\bif quick\b|\bquick else\b", code), nb.name
        assert 'profile = "full"' in _parameters_cell(nb), f"{nb.name}: the parameters cell holds the full values"


def test_every_quick_size_names_a_parameter_of_its_chapter():
    quick = yaml.safe_load((ROOT / "book" / "params" / "quick.yaml").read_text())
    stems = {nb.stem: nb for nb in notebooks_in_toc()}
    assert set(quick["chapters"]) <= set(stems)
    for stem, sizes in quick["chapters"].items():
        names = set(re.findall(r"^(\w+)\s*=", _parameters_cell(stems[stem]), re.M))
        assert set(sizes) <= names, f"{stem}: {sorted(set(sizes) - names)} are not in its parameters cell"
    params = chapter_parameters("quick", "04_unet_baseline")
    assert params["profile"] == "quick" and params["clips_per_source"] == quick["chapters"]["04_unet_baseline"]["clips_per_source"]
    assert chapter_parameters("full", "04_unet_baseline") == {"profile": "full"}
