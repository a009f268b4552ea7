"""Reading a TOML input file (scenario, sweep or calibration specification), with every
way it can be unreadable turned into one line.

The readers of each kind of file (:mod:`sendabm.core.scenario`,
:mod:`sendabm.experiments.sweep`, :mod:`sendabm.experiments.calibrate`) call
:func:`read_toml` and prefix its message with the file's name in their own error type.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_toml(path: Path) -> dict[str, Any]:
    """The table in the TOML file at ``path``.

    The text is UTF-8; a leading byte-order mark (some Windows editors write one, TOML
    itself does not allow it) is ignored.

    Raises:
        ValueError: One line naming the problem and the fix, without the file name: the
            file cannot be read, is not UTF-8, has a syntax error (with its line) or
            nests arrays or tables past what the reader can hold.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"not valid UTF-8 text (byte {error.start}); save the file as "
                         "UTF-8") from None
    except OSError as error:
        raise ValueError(f"cannot read the file ({error.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        if "line " not in message:  # tomllib gives no line number at the end of the file
            last_line = text.count("\n") + 1
            message = message.replace("(at end of document)",
                                      f"(at end of document, line {last_line})")
        raise ValueError(f"TOML syntax error: {message}; fix the syntax there") from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables by recursion, so a value nested
        # thousands deep exhausts Python's stack before it is rejected as a value
        raise ValueError("arrays or tables are nested too deeply to read; no setting "
                         "needs more than a few levels, so flatten the value") from None
