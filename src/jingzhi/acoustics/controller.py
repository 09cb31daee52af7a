"""The square's volume controller: per-second levels in, volume decisions out.

- Decisions rest on the LAeq of the seconds since the last change (at most ``window_s`` of them,
  at least ``min_s``): after a step down, the loud seconds before it no longer count, so one
  excess does not cause a cascade of steps while the average catches up.
- Over the limit: one step down, then wait ``hold_s`` before the next.
- Still over at the lowest step for ``hold_s``: mute, and ask for a case (once per window).
- Back up a step only when the level stayed ``hysteresis_db`` below the limit for ``recover_s``,
  so the volume does not pump up and down around the limit.
- Music outside the manager's windows (the level over ``music_db``): mute at once, and a case.
- A mute lasts for the rest of the activity window; the next window starts at full volume.

The state is a plain dataclass (``as_dict``/``from_dict``), so the platform can keep it between
events; the controller itself holds no state and can be shared.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from .policy import SquarePolicy

__all__ = ["ControllerState", "Decision", "VolumeController"]


@dataclass
class ControllerState:
    step: int = 0
    muted: bool = False
    #: Epoch seconds of the last change (None: none yet in this window).
    changed_at: float | None = None
    #: Epoch seconds since when the level has been well under the limit (None: it is not).
    quiet_since: float | None = None
    #: Per-second (epoch, LAeq) since the last change, at most window_s of them.
    seconds: list[tuple[float, float]] = field(default_factory=list)
    #: The activity window this state belongs to ("2026-11-26 19:00"); a new one resets it.
    session: str = ""
    case_requested: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ControllerState:
        if not data:
            return cls()
        values = dict(data)
        values["seconds"] = [tuple(pair) for pair in values.get("seconds", [])]
        return cls(**values)


@dataclass(frozen=True)
class Decision:
    at: float  # epoch seconds
    action: str  # lower | raise | mute | reset
    step: int
    volume: int  # percent of the speaker's full volume
    laeq: float  # LAeq of the seconds the decision rests on
    limit: float
    reason: str  # over_limit | still_over | outside_window | recovered | new_window
    open_case: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _energy_mean(levels: list[float]) -> float:
    return 10 * math.log10(sum(10 ** (v / 10) for v in levels) / len(levels))


class VolumeController:
    def __init__(
        self,
        policy: SquarePolicy,
        *,
        volumes: tuple[int, ...] = (100, 80, 60, 45, 30),
        window_s: int = 300,
        min_s: int = 30,
        hold_s: int = 60,
        hysteresis_db: float = 5.0,
        recover_s: int = 300,
        music_db: float | None = None,
        tz: str = "Asia/Shanghai",
    ) -> None:
        if not volumes or list(volumes) != sorted(volumes, reverse=True):
            raise ValueError("volumes go from full to the lowest step, e.g. (100, 80, 60, 45, 30)")
        self.policy = policy
        self.volumes = volumes
        self.window_s, self.min_s, self.hold_s = window_s, min_s, hold_s
        self.hysteresis_db, self.recover_s = hysteresis_db, recover_s
        #: Above this LAeq outside the windows, music is playing (default: 5 dB under the windows' limit).
        self.music_db = music_db
        self.tz = ZoneInfo(tz)

    def _default_music_db(self) -> float:
        """5 dB under the limit in force at the start of the first activity window."""
        start = self.policy.windows[0].start if self.policy.windows else dt.time(12, 0)
        return self.policy.limit(start).db - 5

    def _session(self, local: dt.datetime) -> str:
        for window in self.policy.windows:
            if window.contains(local.time()):
                day = local.date()
                if window.start > window.end and local.time() < window.end:
                    day -= dt.timedelta(days=1)  # the part after midnight belongs to yesterday's window
                return f"{day.isoformat()} {window.start:%H:%M}"
        return ""

    def _decide(
        self, state: ControllerState, at: float, action: str, laeq: float, limit: float, reason: str
    ) -> Decision:
        if action == "lower":
            state.step += 1
        elif action == "raise":
            state.step -= 1
        open_case = action == "mute" and not state.case_requested
        if action == "mute":
            state.muted = True
            state.case_requested = True
        state.changed_at, state.quiet_since, state.seconds = at, None, []
        volume = 0 if state.muted else self.volumes[state.step]
        return Decision(at, action, state.step, volume, round(laeq, 1), limit, reason, open_case)

    def feed(self, state: ControllerState, at: dt.datetime, laeq: float) -> list[Decision]:
        """One second's LAeq measured at ``at`` (aware); returns the decisions it causes."""
        if at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        epoch = at.timestamp()
        local = at.astimezone(self.tz)
        limit = self.policy.limit(local.time())
        decisions: list[Decision] = []
        session = self._session(local)
        if session != state.session:
            if session:  # a new window: full volume, nothing muted, a new case allowed
                changed = state.step != 0 or state.muted
                state.__dict__.update(ControllerState(session=session).__dict__)
                if changed:
                    decisions.append(
                        Decision(epoch, "reset", 0, self.volumes[0], round(laeq, 1), limit.db, "new_window")
                    )
            else:  # the window just ended: what was played inside it does not count outside
                state.session, state.seconds, state.changed_at, state.quiet_since = "", [], None, None
        state.seconds.append((epoch, laeq))
        state.seconds = [(t, v) for t, v in state.seconds if t > epoch - self.window_s]
        level = _energy_mean([v for _t, v in state.seconds])
        if not limit.allowed:
            music = self.music_db if self.music_db is not None else self._default_music_db()
            if not state.muted and len(state.seconds) >= min(self.min_s, 10) and level > music:
                decisions.append(self._decide(state, epoch, "mute", level, limit.db, "outside_window"))
            return decisions
        if state.muted or len(state.seconds) < self.min_s:
            return decisions
        since_change = math.inf if state.changed_at is None else epoch - state.changed_at
        if level > limit.db:
            state.quiet_since = None
            if since_change >= self.hold_s or state.changed_at is None:
                if state.step < len(self.volumes) - 1:
                    decisions.append(self._decide(state, epoch, "lower", level, limit.db, "over_limit"))
                else:
                    decisions.append(self._decide(state, epoch, "mute", level, limit.db, "still_over"))
        elif level < limit.db - self.hysteresis_db:
            state.quiet_since = state.quiet_since or epoch
            quiet_for = epoch - state.quiet_since
            if state.step > 0 and quiet_for >= self.recover_s and since_change >= self.recover_s:
                decisions.append(self._decide(state, epoch, "raise", level, limit.db, "recovered"))
        else:
            state.quiet_since = None
        return decisions
