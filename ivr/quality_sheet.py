"""Reading the quality-inspection score sheet (``quality_sheet.yaml``, IVR_QUALITY_SHEET) from disk:
the only I/O around :func:`ivr.core.quality.parse_sheet`."""
from __future__ import annotations

from pathlib import Path

import yaml

from ivr.core.quality import Sheet, parse_sheet
from ivr.errors import QualityError

MAX_BYTES = 256 * 1024


def load_sheet(path: Path | str) -> Sheet:
    """The sheet in ``path``; QualityError naming the file and every problem."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as err:
        raise QualityError(f"{path}: cannot read the score sheet: {err.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise QualityError(f"{path}: a score sheet is at most {MAX_BYTES // 1024} KB")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        raise QualityError(f"{path}: not a UTF-8 YAML file: {str(err).splitlines()[0]}") from None
    return parse_sheet(data, str(path))
