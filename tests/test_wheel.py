"""The built wheel, installed in a fresh venv outside the checkout, validates and certifies."""

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("payercert-*.whl"))


def test_wheel_installs_only_payercert(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"payercert"}, f"the wheel installs top-level modules besides payercert: {tops}"
    assert "payercert/specs/ltss/feed.yaml" in names and "payercert/specs/ltss/rules.yaml" in names
    assert "payercert/suites/ltss/test_validation.py" in names
    assert "payercert/validators/engine.py" in names and "payercert/simulators/ltss/app.py" in names


def test_wheel_works_outside_the_checkout(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    site = next(env_dir.glob("lib/python3*/site-packages"))
    # dependencies come from the development environment's site-packages (a plain path: its
    # .pth files, including the editable install of the checkout, are not processed)
    deps = next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site / "deps.pth").write_text(str(deps) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(env_dir / "bin" / "python"),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    python, payercert = env_dir / "bin" / "python", env_dir / "bin" / "payercert"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    where = subprocess.run(
        [str(python), "-c", "import payercert, payercert.validators as v; print(v.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    ).stdout
    assert str(site) in where, where
    assert (
        subprocess.run([str(python), "-c", "import validators"], capture_output=True, cwd=tmp_path, env=env).returncode
        != 0
    )
    sample = tmp_path / "entry.json"
    sample.write_text((ROOT / "specs/ltss/samples/valid/unit-based.json").read_text())
    done = subprocess.run(
        [str(payercert), "validate", str(sample), "--as-of", "2026-11-20"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run(
        [
            str(payercert),
            "certify",
            "--feed",
            "ltss",
            "--target",
            "local",
            "--no-html",
            "--reports",
            str(tmp_path / "reports"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PAYERCERT_EXAMPLES": "4"},
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "CERTIFIED" in done.stdout
