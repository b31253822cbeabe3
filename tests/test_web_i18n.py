"""Every text the browser client shows through ``t()`` has its French."""

import re
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent / "web" / "src"
LITERAL = r"'((?:[^'\\\n]|\\.)*)'|\"((?:[^\"\\\n]|\\.)*)\""


def french_keys() -> set[str]:
    source = (WEB / "i18n.js").read_text()
    table = source[source.index("const FR = {") : source.index("\n};")]
    keys = set()
    for match in re.finditer(rf"^\s*(?:{LITERAL}|(\w+)):", table, re.M):
        keys.add((match.group(1) or match.group(2) or match.group(3)).replace("\\'", "'"))
    return keys


def shown_texts() -> set[str]:
    texts = set()
    for path in WEB.rglob("*.js"):
        for match in re.finditer(rf"\bt(?:Nodes)?\(\s*(?:{LITERAL})", path.read_text()):
            texts.add((match.group(1) or match.group(2)).replace("\\'", "'"))
    return texts


def test_every_shown_text_has_its_french():
    texts = shown_texts()
    assert len(texts) > 60
    assert sorted(texts - french_keys()) == []
