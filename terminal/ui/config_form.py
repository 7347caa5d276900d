"""A form generated from a plugin's pydantic config model: one editor per field.

Values are collected as text and left to the model to validate, so the form never judges a
setting differently from the plugin. Secret fields (pydantic SecretStr) are masked and can be
remembered in the OS keyring.
"""

from __future__ import annotations

import enum
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

LIST_SEPARATOR = ";"


def _parts(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return tuple(a for a in typing.get_args(annotation) if a is not type(None))
    return (annotation,)


def is_secret(info: FieldInfo) -> bool:
    return any(part is SecretStr for part in _parts(info.annotation))


def _choices(annotation: Any) -> list[str]:
    out: list[str] = []
    for part in _parts(annotation):
        if typing.get_origin(part) is typing.Literal:
            out.extend(str(v) for v in typing.get_args(part))
        elif isinstance(part, type) and issubclass(part, enum.Enum):
            out.extend(str(m.value) for m in part)
    return out


def _is_path_list(annotation: Any) -> bool:
    return any(typing.get_origin(p) is list and typing.get_args(p)[:1] == (Path,)
               for p in _parts(annotation))


def _is_bool(annotation: Any) -> bool:
    return _parts(annotation) == (bool,)


def _default_text(info: FieldInfo) -> str:
    default = info.get_default(call_default_factory=True)
    if default is None or isinstance(default, SecretStr) or default is ...:
        return ""
    if isinstance(default, list):
        return LIST_SEPARATOR.join(str(v) for v in default)
    if isinstance(default, enum.Enum):
        return str(default.value)
    return str(default)


class _PathListEdit(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = QLineEdit(self)
        self.line.setPlaceholderText(f"files, separated by {LIST_SEPARATOR}")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(browse)

    def _browse(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Choose files")
        if names:
            self.line.setText(LIST_SEPARATOR.join(names))


class ConfigForm(QWidget):
    """Editors for every field of `model`; `values()` returns what the user set."""

    def __init__(self, model: type[BaseModel], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.editors: dict[str, QWidget] = {}
        self.secret_fields: list[str] = []
        layout = QFormLayout(self)
        for name, info in model.model_fields.items():
            editor = self._editor(name, info)
            editor.setObjectName(f"field:{name}")
            if info.description:
                editor.setToolTip(info.description)
            label = name.replace("_", " ")
            layout.addRow(label + (" *" if info.is_required() else ""), editor)
            self.editors[name] = editor

    def _editor(self, name: str, info: FieldInfo) -> QWidget:
        annotation = info.annotation
        if _is_bool(annotation):
            box = QCheckBox(self)
            box.setChecked(bool(info.get_default(call_default_factory=True)))
            return box
        choices = _choices(annotation)
        if choices and len(_parts(annotation)) == 1:
            combo = QComboBox(self)
            combo.addItems(choices)
            default = _default_text(info)
            if default in choices:
                combo.setCurrentText(default)
            return combo
        if _is_path_list(annotation):
            paths = _PathListEdit(self)
            paths.line.setText(_default_text(info))
            return paths
        line = QLineEdit(self)
        if is_secret(info):
            self.secret_fields.append(name)
            line.setEchoMode(QLineEdit.EchoMode.Password)
            line.setPlaceholderText("secret: kept in the OS keyring, never in files or logs")
        else:
            line.setText(_default_text(info))
            if choices:
                line.setPlaceholderText(" or ".join(["a number", *choices]))
        return line

    def set_text(self, name: str, text: str) -> None:
        editor = self.editors[name]
        if isinstance(editor, QLineEdit):
            editor.setText(text)
        elif isinstance(editor, _PathListEdit):
            editor.line.setText(text)
        elif isinstance(editor, QComboBox):
            editor.setCurrentText(text)
        elif isinstance(editor, QCheckBox):
            editor.setChecked(text.lower() in ("1", "true", "yes", "on"))

    def values(self) -> dict[str, Any]:
        """Settings for model_validate: empty optional fields are left to their defaults."""
        out: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            elif isinstance(editor, QComboBox):
                out[name] = editor.currentText()
            elif isinstance(editor, _PathListEdit):
                items = [p.strip() for p in editor.line.text().split(LIST_SEPARATOR)]
                if any(items):
                    out[name] = [p for p in items if p]
            elif isinstance(editor, QLineEdit):
                text = editor.text().strip()
                if text:
                    out[name] = text
        return out
