"""`make bench`: run every benchmark script in this folder, one after another.

Each `benchmarks/*.py` except this file (and helpers starting with `_`) runs in its own Python
process with its default options; its output goes straight to the terminal. The exit code is 1 if
any benchmark failed or missed its target, naming which.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    scripts = sorted(
        path
        for path in here.glob("*.py")
        if path.name != Path(__file__).name and not path.name.startswith("_")
    )
    failed: list[str] = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        done = subprocess.run([sys.executable, str(script)], check=False)
        if done.returncode != 0:
            failed.append(f"{script.name} (exit {done.returncode})")
        print(flush=True)
    if failed:
        print(f"benchmarks that failed or missed their target: {', '.join(failed)}")
        return 1
    print(f"{len(scripts)} benchmark(s) ran; every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
