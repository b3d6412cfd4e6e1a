"""A service for the rig test: started, then never stopped by the test."""

from __future__ import annotations

import os
from typing import Any

from audio_service import AudioServiceBackground, BackgroundAudioTask


class PidTask(BackgroundAudioTask):
    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        return os.getpid()


def entrypoint() -> None:
    AudioServiceBackground.run(PidTask)
