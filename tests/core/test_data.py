"""The shared data: manifest, checksum refusal, and every malformed CSV refused with a clear message."""

import json
import os

import numpy as np

import pytest

from shared.core import data, tables, userdata
from shared.core.errors import ChecksumError, DataError
from shared.core.registry import get_case


def _path(root, name):
    return os.path.join(data.data_dir(root), name + ".csv")


def test_manifest_lists_every_dataset_with_its_sha256(root):
    manifest = data.read_manifest(root)
    for name, entry in manifest["datasets"].items():
        assert entry["sha256"] == data.sha256_file(_path(root, name))


def test_ensure_does_not_rewrite_matching_data(root):
    before = os.stat(_path(root, "linear")).st_mtime_ns
    data.ensure(root, [get_case("linear")], log=lambda *_: None)
    assert os.stat(_path(root, "linear")).st_mtime_ns == before


def test_corrupted_file_refused_naming_file_and_both_checksums(root):
    path = _path(root, "pairshift")
    expected = data.read_manifest(root)["datasets"]["pairshift"]["sha256"]
    with open(path, "r+b") as handle:
        handle.seek(100)
        handle.write(b"9")
    with pytest.raises(ChecksumError) as err:
        data.load(root, get_case("pairshift"))
    message = str(err.value)
    assert path in message and expected in message and data.sha256_file(path) in message


def test_corrupted_file_is_not_silently_regenerated(root):
    with open(_path(root, "linear"), "ab") as handle:
        handle.write(b"1.0,2.0\n")
    data.ensure(root, [get_case("linear")], log=lambda *_: None)
    with pytest.raises(ChecksumError):
        data.verify(root, "linear")


def test_missing_file_refused(root):
    os.remove(_path(root, "linear"))
    with pytest.raises(DataError, match="missing"):
        data.verify(root, "linear")


def test_missing_manifest_entry_says_how_to_generate(tmp_path):
    with pytest.raises(DataError, match="python -m shared prepare"):
        data.verify(str(tmp_path), "linear")


def test_broken_manifest_refused(root):
    with open(os.path.join(data.data_dir(root), data.MANIFEST), "w") as handle:
        handle.write("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        data.read_manifest(root)


def _write(tmp_path, text, name="pairs.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text, match", [
    ("", "is empty"),
    ("item1,item2,dif\n", "no rows"),
    ("item1,item2\na,b\n", "lacks column"),
    ("item1,item2,dif\na,b,1.0\nc,d,abc\n", "non-numeric or non-finite value in column 'dif' at line 3"),
    ("item1,item2,dif\na,b,1.0\nc,d,nan\n", "non-finite"),
    ("item1,item2,dif\na,b,1.0\nc,d\n", r"has 2 field\(s\) where its header has 3 at line 3"),
    ("item1,item2,dif\na,b,1.0\n,d,2.0\n", "empty item name"),
])
def test_malformed_csv_refused(tmp_path, text, match):
    with pytest.raises(DataError, match=match) as err:
        tables.read_frame(_write(tmp_path, text), "pairshift")
    assert "expected:" in str(err.value) and "fix:" in str(err.value)


def test_user_pairs_file_imported_and_verified(tmp_path, root):
    path = _write(tmp_path, "item1,item2,dif\na,b,1.0\nb,c,0.5\nc,a,-1.5\n")
    entry = userdata.import_user(root, get_case("pairshift"), path, log=lambda *_: None)
    assert entry["source"] == "user" and entry["rows"] == 3
    loaded = data.load(root, get_case("pairshift"))
    assert loaded.items() == ["a", "b", "c"]
    data.ensure(root, [get_case("pairshift")], log=lambda *_: None)
    assert data.load(root, get_case("pairshift")).n_rows == 3


def test_user_pairs_with_unseen_items_refused(tmp_path, root):
    path = _write(tmp_path, "item1,item2,dif\na,b,1.0\nb,zz,0.5\n")
    items = _write(tmp_path, "a\nb\n", "items.txt")
    with pytest.raises(DataError, match="unseen: 'zz'"):
        userdata.import_user(root, get_case("pairshift"), path, items, log=lambda *_: None)


def test_user_pairs_with_duplicate_rows_refused_unless_allowed(tmp_path, root):
    path = _write(tmp_path, "item1,item2,dif\na,b,1.0\na,b,1.0\n")
    before = data.read_manifest(root)
    with pytest.raises(DataError, match="(?s)duplicate row.*line\\(s\\) 3"):
        userdata.import_user(root, get_case("pairshift"), path, log=lambda *_: None)
    assert data.read_manifest(root) == before
    assert userdata.import_user(root, get_case("pairshift"), path, allow_duplicates=True, log=lambda *_: None)["rows"] == 2


def test_truncated_manifest_row_count_refused(root):
    manifest_path = os.path.join(data.data_dir(root), data.MANIFEST)
    with open(manifest_path) as handle:
        manifest = json.load(handle)
    path = _path(root, "linear")
    with open(path) as handle:
        lines = handle.readlines()
    with open(path, "w") as handle:
        handle.writelines(lines[:-10])
    manifest["datasets"]["linear"]["sha256"] = data.sha256_file(path)
    with open(manifest_path, "w") as handle:
        json.dump(manifest, handle)
    with pytest.raises(DataError, match="rows but its manifest says"):
        data.load(root, get_case("linear"))


def test_item_names_with_spaces_are_read_as_the_csv_reads_them(tmp_path, root):
    path = _write(tmp_path, "item1,item2,dif\n lead,trail ,1.0\ntrail , lead,-1.0\n")
    items = _write(tmp_path, " lead\ntrail \n\n", "items.txt")
    entry = userdata.import_user(root, get_case("pairshift"), path, items, log=lambda *_: None)
    assert entry["rows"] == 2
    assert data.load(root, get_case("pairshift")).items() == [" lead", "trail "]


def test_unseen_item_names_are_quoted_so_spaces_show(tmp_path, root):
    path = _write(tmp_path, "item1,item2,dif\na,b ,1.0\n")
    items = _write(tmp_path, "a\nb\n", "items.txt")
    with pytest.raises(DataError, match="unseen: 'b '"):
        userdata.import_user(root, get_case("pairshift"), path, items, log=lambda *_: None)


def test_probe_set_is_written_once_with_its_checksum_and_verified(root):
    case = get_case("pairshift")
    entry = data.read_manifest(root)["datasets"]["pairshift"]["probe"]
    probe = data.load_probe(root, case)
    assert probe.n_rows == entry["rows"] == data.PROBE_ROWS
    full = data.load(root, case).frame
    rows = data.probe_rows(len(full))
    assert probe.frame["dif"].tolist() == full["dif"].iloc[rows].tolist()
    with open(os.path.join(data.data_dir(root), entry["file"]), "ab") as handle:
        handle.write(b"a,b,1.0\n")
    with pytest.raises(ChecksumError, match="does not match its manifest"):
        data.load_probe(root, case)


def _user_case(tmp_path, text, schema=(("x", "f"), ("y", "f"))):
    from shared.core.case import Case, Check, DatasetSpec, Init, InitSpec

    source = _write(tmp_path, text, "mine.csv")
    return Case("mine", "d", DatasetSpec("mine", "csv", schema=list(schema), source=source), {"epochs": 1},
                {"tf1": {"a": "m:run"}, "tf2": {"b": "m:run"}}, "tf1/a", [Check("weights", 1e-6, "r")],
                init=InitSpec(1, {"k": Init("glorot_uniform", (1, 2))}))


def test_a_users_csv_is_copied_in_with_its_init_and_follows_its_source(tmp_path, root):
    case = _user_case(tmp_path, "x,y\n1.0,2.0\n3.0,4.0\n")
    data.ensure(root, [case], log=lambda *_: None)
    assert data.load(root, case).frame["y"].tolist() == [2.0, 4.0]
    init = data.load_init(root, case)
    assert init["k"].shape == (1, 2) and init["k"].dtype == np.float32
    with open(case.dataset.source, "a") as handle:
        handle.write("5.0,6.0\n")
    said = []
    data.ensure(root, [case], log=said.append)
    assert data.load(root, case).n_rows == 3 and "source changed" in said[0]


def test_a_users_csv_that_breaks_its_schema_is_refused_with_the_line(tmp_path, root):
    case = _user_case(tmp_path, "x,y\n1.0,2.0\n3.0,oops\n")
    with pytest.raises(DataError, match="column 'y' at line 3"):
        data.ensure(root, [case], log=lambda *_: None)
    case = _user_case(tmp_path, "x,z\n1.0,2.0\n")
    with pytest.raises(DataError, match="lacks column"):
        data.ensure(root, [case], log=lambda *_: None)


def test_tampered_initial_weights_are_refused(tmp_path, root):
    case = _user_case(tmp_path, "x,y\n1.0,2.0\n")
    data.ensure(root, [case], log=lambda *_: None)
    entry = data.read_manifest(root)["inits"]["mine"]
    with open(os.path.join(data.data_dir(root), entry["file"]), "a") as handle:
        handle.write(" ")
    with pytest.raises(ChecksumError, match="does not match its manifest"):
        data.load_init(root, case)
