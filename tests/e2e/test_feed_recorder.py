"""`--record` writes every delivered event to a ttrec file that `--replay` plays back the same."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from plugins.replay.formats import detect_format, open_recording
from terminal.model.instrument import Instrument
from terminal.services.feed_recorder import FeedRecorder
from tests.data_paths import SHARED_DATA

BINANCE = SHARED_DATA / "ws" / "cryptofeed__BINANCE.ws.1.0"
COINBASE = SHARED_DATA / "ws" / "cryptofeed__COINBASE.ws.28.0"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "terminal", "--headless", "--speed", "max",
                           *args], capture_output=True, text=True, timeout=180)


def read_all(path: Path) -> list[tuple[int, object]]:
    events, report = open_recording(path)
    out = list(events)
    assert report.bad_rows == 0, report.problems
    return out


def same(a: object, b: object) -> bool:
    """Equality where NaN equals NaN (a missing size is NaN in both)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "__slots__") and type(a) is type(b):
        return all(same(getattr(a, s), getattr(b, s)) for s in a.__slots__)  # type: ignore[union-attr]
    return a == b


@pytest.fixture(scope="module")
def binance_recording(tmp_path_factory):
    root = tmp_path_factory.mktemp("rec")
    first = root / "first.ttrec"
    result = run_cli("--data-dir", str(root / "d1"), "--replay", str(BINANCE),
                     "--record", str(first), "--summary-json", str(root / "s1.json"))
    assert result.returncode == 0, result.stderr
    assert f"recorded 273 events to {first}" in result.stdout
    return root, first, json.loads((root / "s1.json").read_text())


def test_recording_counts_every_delivered_event(binance_recording):
    _root, first, summary = binance_recording
    delivered = summary["events"]["by_kind"]
    assert summary["recording"]["events"] == sum(delivered.values()) == 273
    assert summary["recording"]["by_kind"] == delivered
    assert summary["recording"]["errors"] == 0
    assert detect_format(first).name == "ttrec"


def test_replaying_the_recording_gives_the_same_run(binance_recording):
    root, first, original = binance_recording
    second = root / "second.ttrec"
    result = run_cli("--data-dir", str(root / "d2"), "--replay", str(first),
                     "--record", str(second), "--summary-json", str(root / "s2.json"))
    assert result.returncode == 0, result.stderr
    again = json.loads((root / "s2.json").read_text())
    assert again["events"] == original["events"]
    assert again["books"] == original["books"]
    assert again["bars"] == original["bars"]
    assert again["errors"] == [] and again["replay"]["files"][0]["bad_rows"] == 0
    # recording a replayed recording reproduces it event for event, time for time
    a, b = read_all(first), read_all(second)
    assert len(a) == len(b) == 273
    assert all(ta == tb and same(ea, eb) for (ta, ea), (tb, eb) in zip(a, b, strict=True))


def test_recorded_events_equal_what_the_reader_delivered(tmp_path):
    path = tmp_path / "cb.ttrec"
    result = run_cli("--data-dir", str(tmp_path / "d"), "--replay", str(COINBASE),
                     "--record", str(path))
    assert result.returncode == 0, result.stderr
    source, _report = open_recording(COINBASE)
    expected = [(ts, e) for ts, e in source if not isinstance(e, Instrument)]
    recorded = [(ts, e) for ts, e in read_all(path) if not isinstance(e, Instrument)]
    assert len(recorded) == len(expected) > 1000
    mismatches = [i for i, ((ta, ea), (tb, eb)) in enumerate(zip(expected, recorded, strict=True))
                  if ta != tb or not same(ea, eb)]
    assert mismatches == []


def test_a_cut_recording_keeps_the_frames_before_the_cut(tmp_path):
    path = tmp_path / "cut.ttrec"
    source, _ = open_recording(COINBASE)
    events = list(source)
    recorder = FeedRecorder(path, frame_bytes=16 * 1024)
    for ts, event in events:
        recorder.add(ts, event)  # type: ignore[arg-type]
    recorder.close()
    assert recorder.frames > 3 and recorder.errors == []
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])  # the crash: the last frame is half written
    kept, report = open_recording(path)
    kept_events = list(kept)
    assert 0 < len(kept_events) < len(events)
    assert all(same(a, b) for a, b in zip(kept_events, events, strict=False))
    assert report.bad_rows == 1 and "truncated" in report.problems[0].reason


def test_an_existing_file_is_never_overwritten(tmp_path):
    target = tmp_path / "exists.ttrec"
    target.write_bytes(b"keep me")
    result = run_cli("--data-dir", str(tmp_path / "d"), "--replay", str(BINANCE),
                     "--record", str(target))
    assert result.returncode == 2
    assert "exists" in result.stderr and target.read_bytes() == b"keep me"
