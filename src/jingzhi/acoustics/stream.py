"""Audio sources for the streaming meter: files, network streams and sound cards, as mono float64 blocks.

A source is named by one string (:func:`parse_source`):

* a path that libsndfile reads (WAV, FLAC, …): read with soundfile, the first channel as
  :mod:`.wavio` does, in full-scale units;
* any other path (``.mp3``, ``.m4a``, …) or a URL (``rtsp://``, ``http://…/stream.mp3``, …): decoded with
  PyAV, the first audio stream converted to float mono (channels mixed down) at its native rate;
* ``FORMAT:DEVICE`` for a capture device through PyAV's input devices: ``alsa:default`` is
  ``av.open("default", format="alsa")``; likewise ``pulse:``, ``oss:``, ``jack:``, ``lavfi:`` ….

Files end at their end; ``realtime=True`` paces them to the wall clock (otherwise they are read as
fast as possible). Network streams are live: when one drops or ends it is reopened with exponential
backoff (logged) until ``stop`` is set. A capture device that fails is reopened the same way; one that
ends (a ``lavfi`` source with a duration) ends the input. Every block carries the wall-clock time of its
first sample (for a live source an estimate that never runs ahead of the arrival of the samples)
and a segment number that changes at every (re)connection, where the signal is not continuous.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av
import numpy as np
import soundfile  # type: ignore[import-untyped, unused-ignore]

from ._common import FloatArray

__all__ = [
    "DEVICE_FORMATS",
    "NETWORK_SCHEMES",
    "AudioBlock",
    "AudioSource",
    "SourceSpec",
    "StreamError",
    "open_source",
    "parse_source",
]

log = logging.getLogger(__name__)

#: URL schemes opened as live network streams.
NETWORK_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt", "rtp", "mms", "icecast")
#: FFmpeg input formats that capture from a device (or generate a signal): ``FORMAT:DEVICE`` sources.
DEVICE_FORMATS = (
    "alsa",
    "pulse",
    "oss",
    "jack",
    "sndio",
    "openal",
    "avfoundation",
    "dshow",
    "lavfi",
)
#: Demuxer options for live streams: a short probe and at most 0.5 s of packet reordering.
LIVE_OPTIONS = {"analyzeduration": "1000000", "probesize": "1000000", "max_delay": "500000"}

#: How fast (s/s) the wall-clock estimate of a live source may move forward: 1000 ppm.
CLOCK_SLEW = 1e-3

SourceKind = Literal["soundfile", "av-file", "network", "device"]


class StreamError(ValueError):
    """The source cannot be used: missing file, unknown device format, no audio stream. The message says which."""


@dataclass(frozen=True, slots=True)
class AudioBlock:
    """Consecutive mono samples in full-scale units.

    ``start_time`` is the wall-clock time (seconds since the epoch) of the first sample; ``segment``
    changes when the source reconnected (or changed its rate): the signal is not continuous there.
    """

    samples: FloatArray
    sample_rate: int
    start_time: float
    segment: int

    @property
    def duration_s(self) -> float:
        return self.samples.size / self.sample_rate


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """What a source string names: ``target`` is the path, URL or device name; ``format`` a device format."""

    kind: SourceKind
    target: str
    format: str | None = None

    @property
    def live(self) -> bool:
        return self.kind in ("network", "device")


def available_device_formats() -> list[str]:
    """The capture-device formats this PyAV build has."""
    return [f for f in DEVICE_FORMATS if f in av.formats_available]


def parse_source(source: str) -> SourceSpec:
    """Classify a source string (see the module docstring); raises :class:`StreamError` for an empty one."""
    text = source.strip()
    if not text:
        raise StreamError("no source given")
    scheme, sep, rest = text.partition("://")
    if sep and scheme.lower() in NETWORK_SCHEMES:
        return SourceSpec("network", text)
    if sep and scheme.lower() == "file":
        text = rest
    else:
        prefix, colon, device = text.partition(":")
        if colon and prefix.lower() in DEVICE_FORMATS:
            return SourceSpec("device", device or "default", prefix.lower())
        if sep:
            raise StreamError(f"{text}: unknown URL scheme {scheme!r} (use one of {', '.join(NETWORK_SCHEMES)})")
    path = Path(text)
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, OSError, TypeError):  # libsndfile cannot read it: PyAV may
        return SourceSpec("av-file", str(path))
    del info
    return SourceSpec("soundfile", str(path))


class _Pacer:
    """Sleeps so that samples come out no faster than the wall clock (``realtime``)."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._t0 = time.monotonic()
        self._seconds = 0.0

    def wait_for(self, seconds: float) -> bool:
        """Account ``seconds`` of audio; wait until they have passed. False when stopped meanwhile."""
        self._seconds += seconds
        ahead = self._t0 + self._seconds - time.monotonic()
        return not (ahead > 0 and self._stop.wait(ahead))


class AudioSource:
    """Blocks of a source: iterate ``blocks()`` once; it ends at the end of a file or when ``stop`` is set."""

    def __init__(
        self,
        spec: SourceSpec,
        *,
        realtime: bool = False,
        start_time: float | None = None,
        stop: threading.Event | None = None,
        block_s: float = 0.1,
        timeout_s: float = 10.0,
        retry_initial_s: float = 1.0,
        retry_max_s: float = 30.0,
    ) -> None:
        if block_s <= 0 or timeout_s <= 0 or retry_initial_s <= 0 or retry_max_s < retry_initial_s:
            raise ValueError("block_s, timeout_s and retry_initial_s must be positive, retry_max_s >= retry_initial_s")
        if start_time is not None and spec.live:
            raise StreamError("a start time can only be given for a file (live sources use the wall clock)")
        self.spec = spec
        self.realtime = realtime and not spec.live
        self.start_time = start_time
        self.stop = stop if stop is not None else threading.Event()
        self.block_s = block_s
        self.timeout_s = timeout_s
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self._segment = -1

    @property
    def name(self) -> str:
        return f"{self.spec.format}:{self.spec.target}" if self.spec.kind == "device" else self.spec.target

    def check(self) -> None:
        """Fail early (:class:`StreamError`) for a source that can never work: missing file, unknown format."""
        if self.spec.kind in ("soundfile", "av-file"):
            p = Path(self.spec.target)
            if not p.exists():
                raise StreamError(f"{p}: no such file")
            if not p.is_file():
                raise StreamError(f"{p}: not a regular file")
            if p.stat().st_size == 0:
                raise StreamError(f"{p}: the file is empty")
            if not os.access(p, os.R_OK):
                raise StreamError(f"{p}: not readable")
        if self.spec.kind == "av-file":
            try:
                container = av.open(self.spec.target, timeout=self.timeout_s)
            except (av.FFmpegError, OSError, ValueError) as exc:
                raise StreamError(f"{self.spec.target}: not an audio file PyAV can read ({exc})") from exc
            with container:
                if not container.streams.audio:
                    raise StreamError(f"{self.spec.target}: no audio stream")
        if self.spec.kind == "device" and self.spec.format not in av.formats_available:
            have = available_device_formats()
            raise StreamError(
                f"input format {self.spec.format!r} is not available in this PyAV/FFmpeg build; "
                f"device formats it has: {', '.join(have) if have else 'none'}"
            )

    def blocks(self) -> Iterator[AudioBlock]:
        self.check()
        if self.spec.kind == "soundfile":
            yield from self._soundfile_blocks()
        elif self.spec.kind == "av-file":
            yield from self._file_av_blocks()
        else:
            yield from self._live_blocks()

    def __iter__(self) -> Iterator[AudioBlock]:
        return self.blocks()

    # -- files ---------------------------------------------------------------------------------------

    def _new_segment(self) -> int:
        self._segment += 1
        return self._segment

    def _soundfile_blocks(self) -> Iterator[AudioBlock]:
        path = self.spec.target
        try:
            f = soundfile.SoundFile(path)
        except RuntimeError as exc:  # LibsndfileError derives from RuntimeError
            raise StreamError(f"{path}: cannot open ({exc})") from exc
        with f:
            rate = int(f.samplerate)
            frames = max(1, round(self.block_s * rate)) if self.realtime else 65_536
            origin = self.start_time if self.start_time is not None else time.time()
            pacer = _Pacer(self.stop)
            segment = self._new_segment()
            pos = 0
            while not self.stop.is_set():
                try:
                    data = f.read(frames, dtype="float64", always_2d=True)
                except RuntimeError as exc:
                    raise StreamError(f"{path}: cannot read the samples ({exc})") from exc
                if data.shape[0] == 0:
                    return
                block = np.ascontiguousarray(data[:, 0], dtype=np.float64)
                if self.realtime and not pacer.wait_for(block.size / rate):
                    return
                yield AudioBlock(block, rate, origin + pos / rate, segment)
                pos += block.size

    def _file_av_blocks(self) -> Iterator[AudioBlock]:
        path = self.spec.target
        try:
            container = av.open(path, timeout=self.timeout_s)
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise StreamError(f"{path}: cannot open ({exc})") from exc
        origin = self.start_time if self.start_time is not None else time.time()
        pacer = _Pacer(self.stop)
        segment, segment_origin, elapsed = self._segment, origin, 0.0
        try:
            for block, rate, pos, changed in self._decode(container, path):
                if changed:  # the first block, or a change of the sample rate
                    segment, segment_origin = self._new_segment(), origin + elapsed
                if self.realtime and not pacer.wait_for(block.size / rate):
                    return
                yield AudioBlock(block, rate, segment_origin + pos, segment)
                elapsed += block.size / rate
        except av.FFmpegError as exc:
            raise StreamError(f"{path}: cannot decode ({exc})") from exc
        finally:
            container.close()

    # -- network streams and devices -------------------------------------------------------------------

    def _open_live(self) -> av.container.InputContainer:
        spec = self.spec
        if spec.kind == "device":
            return av.open(spec.target, format=spec.format, timeout=(self.timeout_s, self.timeout_s))
        options = dict(LIVE_OPTIONS)
        if spec.target.lower().startswith(("rtsp://", "rtsps://")):
            options["rtsp_transport"] = "tcp"
        return av.open(spec.target, options=options, timeout=(self.timeout_s, self.timeout_s))

    def _live_blocks(self) -> Iterator[AudioBlock]:
        """Open, decode, and reopen with backoff on errors (and, for network streams, at their end)."""
        name = self.name
        delay = self.retry_initial_s
        while not self.stop.is_set():
            began = time.monotonic()
            audio_s = 0.0
            ended = False
            try:
                container = self._open_live()
            except av.error.ProtocolNotFoundError as exc:
                raise StreamError(f"{name}: this FFmpeg build cannot open the protocol ({exc})") from exc
            except (av.FFmpegError, OSError, ValueError) as exc:
                log.warning("%s: cannot open (%s)", name, exc)
            else:
                log.info("%s: connected", name)
                segment, origin = self._segment, time.time()
                try:
                    for block, rate, pos, changed in self._decode(container, name):
                        duration = block.size / rate
                        # When did the segment's first sample arrive? At most (its last sample just
                        # arrived) now minus the audio so far: the minimum of that over the blocks
                        # absorbs the burst of buffered audio a stream sends at connection, and
                        # network jitter. Creeping forward by 1 ms per second follows a sound card
                        # whose clock runs slower than the wall clock.
                        latest = time.time() - pos - duration
                        if changed:  # connected, or the sample rate changed
                            segment, origin = self._new_segment(), latest
                        else:
                            origin = min(origin + CLOCK_SLEW * duration, latest)
                        audio_s += duration
                        yield AudioBlock(block, rate, origin + pos, segment)
                        if self.stop.is_set():
                            return
                    ended = True
                except (av.FFmpegError, OSError, StreamError) as exc:
                    log.warning("%s: stream dropped after %.1f s of audio (%s)", name, audio_s, exc)
                finally:
                    container.close()
                if self.stop.is_set():
                    return
                if ended:
                    if self.spec.kind == "device":
                        log.info("%s: the device input ended", name)
                        return
                    log.warning("%s: stream ended after %.1f s of audio", name, audio_s)
            if self.stop.is_set():
                return
            if time.monotonic() - began > 60.0 or audio_s > 60.0:
                delay = self.retry_initial_s  # it ran for a while: start the backoff again
            log.info("%s: reconnecting in %.1f s", name, delay)
            if self.stop.wait(delay):
                return
            delay = min(delay * 2.0, self.retry_max_s)

    # -- decoding ------------------------------------------------------------------------------------

    def _decode(
        self, container: av.container.InputContainer, name: str
    ) -> Iterator[tuple[FloatArray, int, float, bool]]:
        """(mono float64 block of about ``block_s``, rate, seconds from the segment start, new segment?).

        A change of the sample rate starts a new segment (the meter's filters are rate-specific).
        """
        if not container.streams.audio:
            raise StreamError(f"{name}: no audio stream")
        stream = container.streams.audio[0]
        resampler: av.AudioResampler | None = None
        rate = 0
        pending: list[FloatArray] = []
        pending_n = 0
        pos = 0  # samples of the current segment already returned
        first = True

        def take() -> tuple[FloatArray, int, float, bool]:
            nonlocal pending, pending_n, pos, first
            block = np.concatenate(pending) if len(pending) > 1 else pending[0]
            out = (block, rate, pos / rate, first)
            pos += block.size
            pending, pending_n, first = [], 0, False
            return out

        def converted(frames: list[av.AudioFrame]) -> Iterator[tuple[FloatArray, int, float, bool]]:
            nonlocal pending_n
            for out in frames:
                samples = np.asarray(out.to_ndarray(), dtype=np.float64).reshape(-1)
                if samples.size == 0:
                    continue
                if not np.all(np.isfinite(samples)):
                    samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
                pending.append(samples)
                pending_n += samples.size
                if pending_n >= self.block_s * rate:
                    yield take()

        for frame in container.decode(stream):
            if self.stop.is_set():
                return
            if frame.sample_rate != rate or resampler is None:
                if resampler is not None:
                    yield from converted(resampler.resample(None))
                    if pending:
                        yield take()
                    log.info("%s: sample rate changed from %d to %d Hz", name, rate, frame.sample_rate)
                    pos, first = 0, True
                rate = int(frame.sample_rate)
                if rate < 1000:
                    raise StreamError(f"{name}: sample rate {rate} Hz is too low for a sound level meter")
                resampler = av.AudioResampler(format="flt", layout="mono")
            yield from converted(resampler.resample(frame))
        if resampler is not None:
            yield from converted(resampler.resample(None))
        if pending:
            yield take()


def open_source(
    source: str,
    *,
    realtime: bool = False,
    start_time: float | None = None,
    stop: threading.Event | None = None,
    **options: float,
) -> AudioSource:
    """A checked :class:`AudioSource` for a source string; raises :class:`StreamError` when it cannot work."""
    src = AudioSource(parse_source(source), realtime=realtime, start_time=start_time, stop=stop, **options)
    src.check()
    return src
