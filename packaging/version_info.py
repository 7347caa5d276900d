"""Version facts of the bundle, read from the source tree (nothing is imported from it).

`windows_version_info` builds the version resource of the Windows executable (file and
product version, name, copyright); PyInstaller's pefile-based helpers exist only on Windows,
so they are imported there.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

APP_NAME = "trading-terminal"
PRODUCT = "Trading Terminal"
DESCRIPTION = "Trading Terminal: charts, order books, order entry and a localhost API"


def app_version(root: Path) -> str:
    text = (root / "terminal" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise SystemExit("terminal/__init__.py has no __version__")
    return match.group(1)


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """'1.2.3' or '1.2.3rc1' -> (1, 2, 3, 0): the four numbers Windows wants."""
    numbers = [int(n) for n in re.findall(r"\d+", version)[:3]]
    numbers += [0] * (4 - len(numbers))
    return numbers[0], numbers[1], numbers[2], numbers[3]


def windows_version_info(version: str) -> Any:
    from PyInstaller.utils.win32.versioninfo import (
        FixedFileInfo,
        StringFileInfo,
        StringStruct,
        StringTable,
        VarFileInfo,
        VarStruct,
        VSVersionInfo,
    )

    numbers = version_tuple(version)
    strings = [StringStruct("ProductName", PRODUCT),
               StringStruct("FileDescription", DESCRIPTION),
               StringStruct("FileVersion", version),
               StringStruct("ProductVersion", version),
               StringStruct("InternalName", APP_NAME),
               StringStruct("OriginalFilename", f"{APP_NAME}.exe"),
               StringStruct("LegalCopyright", "Trading Terminal authors")]
    return VSVersionInfo(
        ffi=FixedFileInfo(filevers=numbers, prodvers=numbers, mask=0x3F, flags=0x0, OS=0x40004,
                          fileType=0x1, subtype=0x0, date=(0, 0)),
        kids=[StringFileInfo([StringTable("040904B0", strings)]),
              VarFileInfo([VarStruct("Translation", [0x0409, 1200])])])
