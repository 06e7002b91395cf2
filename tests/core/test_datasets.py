"""Data generation: deterministic bytes, valid pairs, and the same bytes on every numpy."""

import hashlib

import numpy as np
import pytest

from shared.core import datasets

# Digest of the 50-row linear CSV below, taken on numpy 1.18.5 (Python 3.7) and numpy 2.4 (3.11) alike.
LINEAR_50_SHA256 = "098d1db3cb164800c27a0c54d157cb325ad82180ec02ad009ee94cc2f1eeb697"
from shared.core.registry import all_cases

from tests.conftest import generatable


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.name)
def test_generation_is_deterministic(case):
    if not generatable([case]):
        pytest.skip("%s's table ships with %s, not installed here (the TF envs have it: tests/e2e)" % (
            case.name, case.dataset.params["package"]))
    gen = datasets.GENERATORS[case.dataset.generator]
    first = datasets.to_csv_bytes(gen(case.dataset.params))
    assert first == datasets.to_csv_bytes(gen(case.dataset.params))
    header = first.split(b"\n", 1)[0].decode()
    assert header.split(",") == [c for c, _ in datasets.SCHEMAS[case.dataset.generator]]


def test_pairs_never_pair_an_item_with_itself():
    table = datasets.pairshift({"n_items": 5, "n_pairs": 2000, "value_scale": 1.0, "noise": 0.1, "seed": 1})
    first, second = table["data"][0], table["data"][1]
    assert not np.any(first == second)
    assert set(first) | set(second) == set(datasets.item_names(5))


def test_seed_changes_the_bytes():
    a = datasets.to_csv_bytes(datasets.linear({"n": 10, "W": 1, "b": 0, "noise": 1, "seed": 1}))
    b = datasets.to_csv_bytes(datasets.linear({"n": 10, "W": 1, "b": 0, "noise": 1, "seed": 2}))
    assert a != b


def test_bytes_do_not_depend_on_numpy_version():
    """MT19937 streams and %.6f formatting are frozen: this digest is the same on numpy 1.18 and 2.x."""
    payload = datasets.to_csv_bytes(datasets.linear({"n": 50, "W": 3.0, "b": 2.0, "noise": 1.0, "seed": 2019}))
    assert hashlib.sha256(payload).hexdigest() == LINEAR_50_SHA256




def _table(rows=40, seed=3):
    """A table in the layout of scikit-learn's breast_cancer.csv: a header 'rows,30,...', 30 features, a 0/1 target."""
    rs = np.random.RandomState(seed)
    lines = ["%d,30,malignant,benign" % rows]
    for _ in range(rows):
        lines.append(",".join("%.4g" % v for v in rs.uniform(1, 100, 30)) + ",%d" % rs.randint(2))
    return ("\n".join(lines) + "\n").encode("ascii")


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A package on sys.path that ships a breast-cancer-like table, and the params that read it."""
    import importlib

    folder = tmp_path / "site" / "tfkit_shipped" / "datasets" / "data"
    folder.mkdir(parents=True)
    (tmp_path / "site" / "tfkit_shipped" / "__init__.py").write_text("raise ImportError('never imported')\n")
    payload = _table()
    (folder / "breast_cancer.csv").write_bytes(payload)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    return {"package": "tfkit_shipped", "file": "datasets/data/breast_cancer.csv",
            "sha256": hashlib.sha256(payload).hexdigest()}


def test_a_shipped_table_is_read_without_importing_its_package(shipped):
    table = datasets.breast_cancer(shipped)
    assert table["columns"] == [c for c, _ in datasets.SCHEMAS["breast_cancer"]]
    payload = datasets.to_csv_bytes(table)
    assert payload == datasets.to_csv_bytes(datasets.breast_cancer(shipped))
    first = payload.split(b"\n")[1].decode().split(",")
    assert all(len(v.split(".")[1]) == 6 for v in first[:6]) and first[6] in ("q1", "q2", "q3", "q4")


def test_a_shipped_table_with_other_bytes_is_refused_naming_both_checksums(shipped):
    from shared.core.errors import DataError

    wanted = "0" * 64
    with pytest.raises(DataError) as err:
        datasets.breast_cancer(dict(shipped, sha256=wanted))
    assert "sha256 %s" % wanted in str(err.value) and "sha256 %s" % shipped["sha256"] in str(err.value)


def test_a_missing_package_says_which_env_has_it():
    from shared.core.errors import DataError

    with pytest.raises(DataError, match="not available in this interpreter.*\n.*\n.*no package 'tfkit_absent'"):
        datasets.breast_cancer({"package": "tfkit_absent", "file": "x.csv", "sha256": "0" * 64})


def test_z_scores_use_exact_sums_and_bands_follow_numpys_quantiles():
    values = [float(v) for v in np.random.RandomState(0).uniform(0, 10, 101)]
    z = np.array(datasets.zscore(values))
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1.0) < 1e-12
    cuts = datasets.quantile_cuts(values, 4)
    assert np.allclose(cuts, np.quantile(values, [0.25, 0.5, 0.75]), rtol=0, atol=1e-12)
    labels = datasets.bands(values, ["a", "b", "c", "d"])
    assert [labels.count(x) for x in "abcd"] == [25, 25, 25, 26]  # a value on a cut goes to the upper band
    assert datasets.bands([1.0, 2.0, 3.0], ["lo", "hi"]) == ["lo", "hi", "hi"]


def test_the_canned_tables_hit_bucket_boundaries_and_hold_out_of_vocabulary_rows():
    from shared.core import canned

    table = datasets.canned_linear({"n": 450, "noise": 0.5, "seed": 2019})
    region, age = table["data"][0], table["data"][1]
    assert set(region) - set(canned.REGION_VOCABULARY) == {"islands"} and 5 <= list(region).count("islands") <= 40
    assert set(datasets.AGE_BOUNDARIES) <= set(age.tolist())
    assert datasets.canned_dnn({"n": 10, "noise": 0.3, "seed": 1})["columns"][:8] != canned.DNN_INPUTS  # not sorted


# Digests of the canned cases' generated CSVs, taken on numpy 1.18.5 (Python 3.7) and numpy 2.4 (3.11) alike.
CANNED_SHA256 = {"canned_linear": "b987da275368a5640b20ecbcb6d3d1ebcf5624718e3b3cb9c9e017a09ed90b87",
                 "canned_dnn": "ae0a8f6d375a98d667deed0b4470f1b58d2be0b9ed764fb6a482b8372723bcc3"}


@pytest.mark.parametrize("name", sorted(CANNED_SHA256))
def test_canned_bytes_do_not_depend_on_numpy_version(name):
    from shared.core.registry import get_case

    spec = get_case(name).dataset
    payload = datasets.to_csv_bytes(datasets.GENERATORS[spec.generator](spec.params))
    assert hashlib.sha256(payload).hexdigest() == CANNED_SHA256[name]
