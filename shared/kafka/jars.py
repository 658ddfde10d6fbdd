"""The broker's jars from Maven Central, fetched once into a git-ignored cache.

Why: our machines have no Docker engine and cannot fetch the release tarball, but Maven
Central has every jar the broker needs (shared/contracts/KAFKA-LOCAL.md). Split from
:mod:`shared.kafka.local_broker` so the broker's process handling reads on its own.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
LIBS = REPO_ROOT / ".kafka" / "libs"  # git-ignored: jars never land in tracked paths
COPY_DEPS = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
_MARKER = ".pom.sha256"


def _tool(name: str) -> str:
    """Absolute path of java/mvn, or a clear error instead of a bare FileNotFoundError."""
    java_home = os.environ.get("JAVA_HOME")
    if name == "java" and java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which(name)
    if not found:
        hint = {"java": "a JDK 17+ (openjdk-17-jre-headless)", "mvn": "Maven 3.8+ (maven)"}
        raise RuntimeError(f"`{name}` not on PATH: the local Kafka broker needs {hint[name]}")
    return found


def ensure_jars(libs: Path = LIBS, pom: Path = POM) -> Path:
    """Copy the broker's runtime jars into ``libs`` unless the cached set matches the pom.

    The marker holds the pom's hash, so editing the pom (e.g. a Kafka upgrade) re-fetches.
    A file lock lets parallel test sessions share one download; the copy goes to a scratch
    directory first so an interrupted download never looks complete.
    """
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    marker = libs / _MARKER

    def fresh() -> bool:
        return marker.exists() and marker.read_text().strip() == digest and any(libs.glob("*.jar"))

    if fresh():
        return libs
    libs.parent.mkdir(parents=True, exist_ok=True)
    with open(libs.parent / "libs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if fresh():
            return libs
        _tool("java")
        scratch = libs.parent / f"libs.tmp-{os.getpid()}"
        shutil.rmtree(scratch, ignore_errors=True)
        cmd = [_tool("mvn"), "-q", "-B", "-f", str(pom), COPY_DEPS, "-DincludeScope=runtime"]
        cmd.append(f"-DoutputDirectory={scratch}")  # mvn downloads into ~/.m2 first
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0 or not any(scratch.glob("*.jar")):
            shutil.rmtree(scratch, ignore_errors=True)
            raise RuntimeError(
                f"maven could not fetch the Kafka jars ({' '.join(cmd)}):\n"
                f"{(done.stdout + done.stderr)[-4000:]}"
            )
        (scratch / _MARKER).write_text(digest + "\n")
        shutil.rmtree(libs, ignore_errors=True)
        scratch.rename(libs)
    return libs
