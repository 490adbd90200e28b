from qa import boilerplate

from conftest import ARTICLES, SEED_A, SEED_B, read_text


def _texts(text: str) -> list[str]:
    return [text[s:e] for s, e in boilerplate.spans(text)]


def test_seed_b_furniture_exact():
    assert _texts(read_text(ARTICLES / SEED_B)) == [
        "13:24 GMT +320 July 2018",
        "US Rushes to Withdraw White Helmets as Syrian Army Advances in South - Reports",
        "© Sputnik / Morad Saeed",
        "404",
        "© AP Photo / Syrian Civil Defense White Helmets",
        "Syria’s Idlib Residents Warn of Potential Provocation by White Helmets",
        "Tags:",
        "reports, evacuation, withdrawal, White Helmets, Europe, Syria, United States",
    ]


def test_seed_a_furniture_exact():
    text = read_text(ARTICLES / SEED_A)
    lines = [text[s:e] for s, e in boilerplate.spans(text)]
    joined = "\n".join(lines)
    for expected in ["Listen Live", "Get short URL", "Middle East", "Community standardsDiscussion",
                     "NGO, evacuation, withdrawal, NATO, White Helmets, Vladimir Putin, Donald Trump, Syria, US",
                     "White Helmets Left Aleppo Boy in Pain to Make Propaganda Pics – English Priest"]:
        assert expected in joined
    assert sum("READ MORE:" in line for line in lines) == 3
    # Body sentences are never boilerplate.
    assert "Daraa province" not in joined
    assert "James Le Mesurier" not in joined


def test_spans_are_whole_lines_and_text_is_untouched():
    text = "Listen Live\nA real sentence here.\n  READ MORE: Something Else Entirely\nAnother sentence.\n"
    spans = boilerplate.spans(text)
    assert [text[s:e] for s, e in spans] == ["Listen Live", "READ MORE: Something Else Entirely"]
    assert boilerplate.content_regions(text, spans) == [(11, 36), (70, 89)]
    assert [text[s:e].strip() for s, e in boilerplate.content_regions(text, spans)] == ["A real sentence here.", "Another sentence."]


def test_tag_list_and_headline_detection():
    assert boilerplate.is_tag_list("reports, evacuation, withdrawal, White Helmets, Europe, Syria")
    assert not boilerplate.is_tag_list("He came, he saw, he conquered, and then, he left.")
    assert boilerplate.is_headline_like("Syria Accuses US, UK, France of Backing Terror Through Support for White Helmets")
    assert not boilerplate.is_headline_like("The officials said the operation was likely to happen soon.")


# --- issue 9: no import cycles in the reader ---------------------------------------------------------

import ast
from pathlib import Path

READER = ["dates", "boilerplate", "metadata", "html", "documents", "sentences", "tokens", "chunking"]
LAZY_OK = {("tokens", "errors"), ("tokens", "embedding")}  # heavy or rarely needed, not hiding a cycle


def _qa_imports(module: str) -> tuple[set[str], set[str]]:
    """(imported at module level, imported inside a function) qa modules of qa/<module>.py."""
    tree = ast.parse((Path(__file__).resolve().parents[1] / "qa" / f"{module}.py").read_text(encoding="utf-8"))
    top, local = set(), set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "qa":
            names = [node.module.split(".")[1]] if "." in node.module else [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".")[1] for a in node.names if a.name.startswith("qa.")]
        (top if node in tree.body else local).update(names)
    return top, local


def test_reader_modules_import_only_modules_below_them():
    graph = {}
    for m in READER:
        top, local = _qa_imports(m)
        assert {(m, x) for x in local} <= LAZY_OK, f"qa/{m}.py imports {local} inside a function"
        graph[m] = top | local
    order: list[str] = []  # a topological order exists exactly when there is no cycle
    while len(order) < len(graph):
        ready = [m for m in graph if m not in order and all(d in order or d not in graph for d in graph[m])]
        assert ready, f"import cycle among {sorted(set(graph) - set(order))}"
        order.extend(sorted(ready))
    assert graph["dates"] == set() and "metadata" not in graph["boilerplate"]
