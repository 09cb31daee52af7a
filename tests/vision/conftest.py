"""Shared synthetic clips: rendered once per session, small frames, passed through H.264; and the
benchmark scripts of ``bench/vision`` loaded as modules."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from jingzhi.vision.synth import DistractorSpec, SceneSpec, ThrowSpec
from jingzhi.vision.synth.cli import write_scene

# A 7-floor, 4-column facade filling a 640×360 frame: a bottle is ~5 px, as on a 1080p camera
# watching a 20-floor building.
SMALL = {"width": 640, "height": 360, "floors": 7, "columns": 4, "width_m": 14.0, "distance_m": 25.0, "fill": 0.9}


@dataclass(frozen=True)
class Clip:
    video: Path
    facade: Path
    truth: Path


def render_clip(out: Path, **overrides: object) -> Clip:
    spec = SceneSpec.model_validate({**SMALL, "duration_s": 4.0, **overrides})
    paths = write_scene(spec, out)
    return Clip(paths["video"], paths["facade"], paths["truth"])


@pytest.fixture(scope="session")
def bottle_clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return render_clip(
        tmp_path_factory.mktemp("bottle"),
        seed=11,
        throws=[ThrowSpec(kind="bottle", floor=6, column=3, release_s=0.6, luma=30.0)],
        distractors=[DistractorSpec(family="birds", level=0.7)],
    )


BENCH = Path(__file__).resolve().parents[2] / "bench" / "vision"


def load_bench(name: str) -> ModuleType:
    """``bench/vision/<name>.py`` as a module (the scripts import their neighbours by plain name)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"{name}_bench", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"{name}_bench"] = module
    spec.loader.exec_module(module)
    return module
