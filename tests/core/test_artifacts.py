"""Kept artifacts on disk: checksums that name a truncated file, folders published whole, hashes of what repeats."""

import os

import pytest

from shared.core import artifacts as store
from shared.core.errors import ArtifactError


def _folder(tmp_path):
    folder = tmp_path / "estimator"
    (folder / "checkpoint").mkdir(parents=True)
    (folder / "savedmodel" / "variables").mkdir(parents=True)
    (folder / "checkpoint" / "model.ckpt-800.index").write_bytes(b"i" * 225)
    (folder / "checkpoint" / "model.ckpt-800.data-00000-of-00001").write_bytes(b"d" * 1208)
    (folder / "checkpoint" / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-800"\n')
    (folder / "savedmodel" / "saved_model.pb").write_bytes(b"graph with a uuid 1234")
    (folder / "savedmodel" / "variables" / "variables.index").write_bytes(b"v")
    (folder / "predictions.json").write_text("[0.5]")
    return str(folder)


def test_the_manifest_lists_every_file_with_its_role(tmp_path):
    files = store.manifest(_folder(tmp_path))
    assert files["checkpoint/model.ckpt-800.data-00000-of-00001"]["bytes"] == 1208
    roles = dict((rel, e["role"]) for rel, e in files.items())
    assert roles == {"checkpoint/checkpoint": "state", "checkpoint/model.ckpt-800.data-00000-of-00001": "tensors",
                     "checkpoint/model.ckpt-800.index": "tensors", "predictions.json": "record",
                     "savedmodel/saved_model.pb": "graph", "savedmodel/variables/variables.index": "tensors"}


def test_a_truncated_checkpoint_is_named_with_its_sizes(tmp_path):
    folder = _folder(tmp_path)
    files = store.manifest(folder)
    store.verify(folder, files, "tf1/pairshift/estimator")
    data = os.path.join(folder, "checkpoint", "model.ckpt-800.data-00000-of-00001")
    with open(data, "r+b") as handle:
        handle.truncate(604)
    with pytest.raises(ArtifactError) as err:
        store.verify(folder, files, "tf1 checkpoint of tf1/pairshift/estimator", only="checkpoint")
    assert "checkpoint/model.ckpt-800.data-00000-of-00001: 604 bytes, the manifest says 1208 (truncated or replaced)" \
        in str(err.value)
    store.verify(folder, files, "the export only", only="savedmodel")  # only what it reads


def test_a_replaced_or_missing_file_is_named(tmp_path):
    folder = _folder(tmp_path)
    files = store.manifest(folder)
    with open(os.path.join(folder, "checkpoint", "model.ckpt-800.index"), "wb") as handle:
        handle.write(b"x" * 225)
    os.remove(os.path.join(folder, "predictions.json"))
    with pytest.raises(ArtifactError) as err:
        store.verify(folder, files, "artifacts")
    message = str(err.value)
    assert "checkpoint/model.ckpt-800.index: sha256" in message and "predictions.json: missing" in message


def test_the_content_hash_ignores_graph_files_and_follows_tensors(tmp_path):
    folder = _folder(tmp_path)
    before = store.content_sha256(store.manifest(folder), {"key": "predictions"})
    with open(os.path.join(folder, "savedmodel", "saved_model.pb"), "wb") as handle:
        handle.write(b"graph with a uuid 9876")  # what an identical rerun changes
    assert store.content_sha256(store.manifest(folder), {"key": "predictions"}) == before
    with open(os.path.join(folder, "checkpoint", "model.ckpt-800.index"), "wb") as handle:
        handle.write(b"j" * 225)
    assert store.content_sha256(store.manifest(folder), {"key": "predictions"}) != before


def test_a_folder_is_published_whole_or_not_at_all(tmp_path):
    target = str(tmp_path / "artifacts" / "tf1" / "pairshift" / "estimator")
    with store.staged(target) as tmp:
        open(os.path.join(tmp, "manifest.json"), "w").write("{}")
    assert os.listdir(target) == ["manifest.json"]
    with pytest.raises(RuntimeError):
        with store.staged(target) as tmp:
            open(os.path.join(tmp, "half.json"), "w").write("{")
            raise RuntimeError("export failed")
    assert os.listdir(target) == ["manifest.json"], "the old folder stays whole"
    assert os.listdir(os.path.dirname(target)) == ["estimator"], "no temp folder left behind"


def test_records_round_trip_and_a_damaged_one_is_an_error(tmp_path):
    path = str(tmp_path / "r" / "checkpoint.json")
    assert store.read_record(path) is None
    store.write_record(path, {"status": "ok"})
    assert store.read_record(path)["status"] == "ok"
    with open(path, "w") as handle:
        handle.write('{"status": ')
    with pytest.raises(ArtifactError) as err:
        store.read_record(path)
    assert "is not valid JSON" in str(err.value)


def test_a_damaged_tf1_manifest_is_a_source_each_step_records_as_an_error(tmp_path):
    from shared.core.registry import get_case

    case = get_case("pairshift")
    root = str(tmp_path)
    folder = store.impl_dir(root, "tf1", case.name, "estimator")
    os.makedirs(folder)
    with open(os.path.join(folder, store.MANIFEST), "w") as handle:
        handle.write('{"schema": 1, "status": "ok", "fil')
    source = store.tf1_sources(root, "tf1", case)["estimator"]
    assert source["status"] == store.DAMAGED and source["folder"] == folder
    assert "is not valid JSON" in source["error"]["message"] and source["error"]["type"] == "ArtifactError"
    assert store.unusable(source) == {"status": "error", "error": source["error"]}
    assert store.unusable({"status": "error", "error": {}}) == {"status": "skipped", "why": "tf1 kept no artifacts"}
    assert store.unusable({"status": "ok"}) is None


def test_clear_removes_one_env_and_case_only(tmp_path):
    root = str(tmp_path)
    for env, case in (("tf1", "pairshift"), ("tf1", "linear"), ("tf2", "pairshift")):
        os.makedirs(os.path.join(store.impl_dir(root, env, case, "x")))
    store.clear(root, "tf1", "pairshift")
    assert sorted(os.listdir(os.path.join(root, "artifacts", "tf1"))) == ["linear"]
    assert os.path.isdir(store.case_dir(root, "tf2", "pairshift"))


def test_tf_errors_lose_their_op_traces():
    error = store.error_of(RuntimeError("Key global_step not found in checkpoint\n\t [[node save/RestoreV2]]\nmore"))
    assert error == {"type": "RuntimeError", "message": "Key global_step not found in checkpoint"}
