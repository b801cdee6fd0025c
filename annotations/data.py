"""Where the gold data lives: the files beside this package's code (source/, corpus/, split.yaml, ood/,
consistency.yaml, DECISIONS.md, labeling_config.xml).

Found once, through ``importlib.resources``, so that every tool agrees on it whether the package runs
from a checkout or an editable install.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

ANNOTATIONS = Path(str(files("annotations")))
