"""The conformance suite a connector runs on itself, with one import.

    from terminal.plugin_host.conformance import ConnectorConformance

    class TestAcme(ConnectorConformance):
        plugin = "acme"            # an installed plugin id, or a folder with plugin.toml
        settings = {"url": "ws://127.0.0.1:9/feed"}   # what the lifecycle test connects with

pytest collects the inherited tests: manifest and fixed files, the config model (refuses
unknown settings, describes every field, secrets as SecretStr, secrets never in its repr),
the factory (a Connector with this plugin's id and the parts its kinds promise), and the
lifecycle (connect, run as a task, disconnect ends run, twice is harmless, stats are
JSON, no secret reaches the log). `settings` should point at a local test server, or at an
address that refuses connections: a live connector must keep retrying and stop when asked.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, SecretStr

from terminal.core.bus import EventBus
from terminal.core.clock import LiveClock
from terminal.core.tasks import TaskTracker
from terminal.model.ids import InstrumentId
from terminal.model.instrument import Instrument
from terminal.model.market import Level
from terminal.plugin_host.base import Connector, DataClient, ExecutionClient, PluginContext
from terminal.plugin_host.manifest import MANIFEST_FILE, PluginKind, read_manifest
from terminal.plugin_host.validate import _resolve, locate, validate

STOP_LIMIT_S = 10.0  # only keeps a broken connector from hanging the suite


class Recorder:
    """A market data sink, execution sink, book view and instrument view that record."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        if name.startswith("on_"):
            return lambda *args: self.events.append((name, args))
        raise AttributeError(name)

    def levels(self, instrument_id: InstrumentId, depth: int) -> tuple[list[Level], list[Level]]:
        return [], []

    def is_usable(self, instrument_id: InstrumentId) -> bool:
        return False

    def get(self, instrument_id: InstrumentId) -> Instrument | None:
        return None


def test_context(data_dir: Path) -> tuple[PluginContext, Recorder]:
    recorder = Recorder()

    def loop_post(fn: Callable[[], None]) -> None:
        asyncio.get_running_loop().call_soon_threadsafe(fn)

    context = PluginContext(bus=EventBus(), clock=LiveClock(), tasks=TaskTracker(),
                            data_dir=data_dir, books=recorder, instruments=recorder,
                            market_data=recorder, execution=recorder, post=loop_post,
                            logger=logging.getLogger("plugin.conformance"))
    return context, recorder


class ConnectorConformance:
    plugin: ClassVar[str] = ""
    settings: ClassVar[dict[str, Any]] = {}

    # helpers ------------------------------------------------------------------------------
    def _folder(self) -> Path:
        assert self.plugin, "set `plugin` to the plugin id or folder"
        return locate(self.plugin)[0]

    def _model(self) -> type[BaseModel]:
        failed = [c for c in validate(self.plugin, imports=True)
                  if not c.ok and c.name == "config import"]
        assert not failed, failed[0]
        model = _resolve(read_manifest(self._folder() / MANIFEST_FILE).config)
        assert isinstance(model, type) and issubclass(model, BaseModel)
        return model

    def _connector(self, data_dir: Path) -> tuple[Connector, Recorder]:
        manifest = read_manifest(self._folder() / MANIFEST_FILE)
        config = self._model().model_validate(self.settings)
        context, recorder = test_context(data_dir)
        connector = _resolve(manifest.factory)(context, config)  # type: ignore[operator]
        assert isinstance(connector, Connector), f"factory returned {type(connector)}"
        return connector, recorder

    # the suite ----------------------------------------------------------------------------
    def test_validates(self) -> None:
        failed = [str(c) for c in validate(self.plugin, imports=True) if not c.ok]
        assert not failed, "\n".join(failed)

    def test_settings_validate(self) -> None:
        self._model().model_validate(self.settings)

    def test_unknown_setting_is_refused(self) -> None:
        model = self._model()
        try:
            model.model_validate({**self.settings, "no_such_setting_xyz": 1})
        except ValueError:
            return
        raise AssertionError("an unknown setting was accepted (extra='forbid')")

    def test_secrets_stay_out_of_reprs(self) -> None:
        model = self._model()
        secrets = {name: f"s3cr3t-{name}" for name, info in model.model_fields.items()
                   if "SecretStr" in str(info.annotation)}
        config = model.model_validate({**self.settings, **secrets})
        shown = repr(config) + str(config) + config.model_dump_json()
        assert not [v for v in secrets.values() if v in shown]
        for name in secrets:
            assert isinstance(getattr(config, name), SecretStr)

    def test_factory_builds_the_promised_parts(self, tmp_path: Path) -> None:
        manifest = read_manifest(self._folder() / MANIFEST_FILE)
        connector, _ = self._connector(tmp_path)
        assert connector.plugin_id == manifest.id
        if PluginKind.DATA in manifest.kinds:
            assert isinstance(connector.data, DataClient)
        if connector.execution is not None:
            assert isinstance(connector.execution, ExecutionClient)
        for part in (connector.data, connector.execution, connector.instruments):
            if part is None:
                continue
            for name in ("connect", "disconnect", "run", "submit", "cancel", "load"):
                method = getattr(part, name, None)
                if method is not None:
                    assert inspect.iscoroutinefunction(method), \
                        f"{type(part).__name__}.{name} must be async (never block the loop)"

    def test_lifecycle_connect_run_disconnect(self, tmp_path: Path,
                                              caplog: Any) -> None:
        manifest = read_manifest(self._folder() / MANIFEST_FILE)
        if PluginKind.DATA not in manifest.kinds:
            return
        connector, _ = self._connector(tmp_path)
        data = connector.data
        assert data is not None

        async def cycle() -> None:
            await data.connect()
            runner = asyncio.ensure_future(data.run())
            for _ in range(20):
                await asyncio.sleep(0.01)  # let it try to reach its venue
            await data.disconnect()
            await asyncio.wait_for(runner, STOP_LIMIT_S)  # disconnect ends run
            await data.disconnect()  # a second disconnect is harmless

        with caplog.at_level(logging.DEBUG):
            asyncio.run(cycle())
        json.dumps(data.stats(), default=str)
        secrets = [str(v.get_secret_value()) for v in self.settings.values()
                   if isinstance(v, SecretStr)] + \
            [str(v) for k, v in self.settings.items() if "secret" in k or "key" in k]
        assert not [s for s in secrets if s and s in caplog.text]
