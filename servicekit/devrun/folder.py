"""Where ``make run`` keeps what lasts between runs: ``.dev/`` at the repository's root
(git-ignored), or ``NETAPPS_DEV_DIR``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The repository's root (servicekit is installed in place, ``pip install -e``).
REPO = Path(__file__).resolve().parents[2]
FOLDER_VARIABLE = "NETAPPS_DEV_DIR"


@dataclass(frozen=True)
class DevFolder:
    root: Path

    @classmethod
    def from_environment(cls) -> DevFolder:
        configured = os.environ.get(FOLDER_VARIABLE)
        return cls(Path(configured).resolve() if configured else REPO / ".dev")

    def create(self) -> None:
        """The folder, 0700: it holds keys and passwords."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        self.logs.mkdir(exist_ok=True)

    @property
    def tls(self) -> Path:
        return self.root / "tls"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.env"

    @property
    def lock(self) -> Path:
        return self.root / "run.lock"

    @property
    def control(self) -> Path:
        return self.root / "control.sock"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"
