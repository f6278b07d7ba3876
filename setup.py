"""Build hook: compile the gettext catalogues (``.po`` → ``.mo``) into the package.

The metadata is in pyproject.toml; this only adds the compilation to ``build_py``, so a
wheel carries the ``.mo`` files and ``pip install -e .`` writes them next to their ``.po``
(an editable install runs from the source tree).
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path("src") / "crmcli" / "locale"


def compile_catalogues(target_root: Path) -> list[str]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalogue = read_po(source)
        mo = target_root / po.relative_to("src").with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as out:
            write_mo(out, catalogue)
        written.append(str(mo))
    return written


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        editable = getattr(self, "editable_mode", False)
        self._catalogues = compile_catalogues(Path("src") if editable else Path(self.build_lib))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), *getattr(self, "_catalogues", [])]


setup(cmdclass={"build_py": BuildWithCatalogues})
