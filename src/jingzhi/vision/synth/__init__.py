"""Synthetic facade-camera scenes for tests and benchmarks (own seeds; shares nothing with the detector).

Only the facade calibration type is shared, because that is the contract a real installer fills in.
"""

from jingzhi.vision.synth.encode import encode_h264, equivalent_bitrate
from jingzhi.vision.synth.scene import DistractorSpec, Scene, SceneSpec, ThrowSpec, ThrowTruth

__all__ = ["DistractorSpec", "Scene", "SceneSpec", "ThrowSpec", "ThrowTruth", "encode_h264", "equivalent_bitrate"]
