"""The catalogue's verdict from fake summaries: every naive port red for its declared cause, every faithful port
green, a naive port declared not to differ reported as such, and each way the verdict fails named."""

from shared.pitfalls.verdict import judge

from tests.pitfalls.fakes import Summary, entry, standard


def test_a_red_naive_port_with_the_declared_cause_and_a_green_faithful_one_pass():
    catalogue = judge([entry()], standard())
    judged = catalogue.judged[0]
    assert catalogue.passed and catalogue.failures == []
    assert judged.naive_outcome() == "red" and judged.faithful_outcome() == "green"
    assert judged.naive.figures == {"weights": 0.5, "predictions": 5.0} and judged.naive.stage() == "first step"
    assert judged.naive.differing() == ["loss.reduction"] and judged.faithful.differing() == []


def test_a_naive_port_that_unexpectedly_agrees_fails_the_verdict_naming_the_entry():
    both = Summary()
    for case in ("pitfall_01a", "pitfall_03"):
        both.case(case, {"loss": {"reduction": "sum"}})
        both.port(case, "faithful", 1e-7, 1e-6, {"loss": {"reduction": "sum"}})
    both.port("pitfall_01a", "naive", 0.5, 5.0, {"loss": {"reduction": "mean"}})
    both.port("pitfall_03", "naive", 2e-7, 1e-6, {"loss": {"reduction": "mean"}})  # within tolerance: agrees
    catalogue = judge([entry(), entry("03")], both.data)
    assert not catalogue.passed and len(catalogue.failures) == 1
    failure = catalogue.failures[0]
    assert failure.startswith("03: the naive port unexpectedly agrees with TF1")
    assert "weights max |diff| 2e-07 (tolerance 1e-05)" in failure and "the pitfall no longer shows" in failure
    assert catalogue.judged[0].ok and not catalogue.judged[1].ok


def test_a_red_faithful_port_fails_the_verdict_with_its_comparison():
    catalogue = judge([entry()], standard(faithful=3e-4))
    assert not catalogue.passed
    assert catalogue.judged[0].faithful_outcome() == "red"
    assert catalogue.failures == ["01a: the faithful port is red: pitfall_01a tf1/pitfall_01a/session vs "
                                  "tf2/pitfall_01a/faithful: strict differs by 0.0003 (tolerance 1e-05)"]


def test_a_naive_port_red_at_another_stage_is_red_for_another_cause():
    catalogue = judge([entry()], standard(naive_stage="forward pass"))
    assert not catalogue.passed
    assert catalogue.failures == ["01a: the naive port is red for another cause: expected its first divergence at "
                                  "'first step', found 'forward pass' (probe predictions from the shared start differ by 1)"]


def test_a_naive_port_red_without_the_declared_setting_is_red_for_another_cause():
    data = standard(naive_setting="sum")  # red, but its loss reduction is TF1's
    catalogue = judge([entry()], data)
    assert catalogue.failures == ["01a: the naive port is red for another cause: expected loss.reduction in its "
                                  "settings diff, found none"]
    data["runs"]["tf2/pitfall_01a/naive"]["settings"] = {"loss": {"reduction": "sum"}, "optimizer": {"epsilon": 1e-7}}
    assert "found optimizer.epsilon" in judge([entry()], data).failures[0]


def test_a_naive_port_declared_not_to_differ_is_reported_honestly_and_passes():
    declared = entry("04b", settings=["optimizer.epsilon"], stage=None, naive_differs=False)
    s = Summary()
    s.case("pitfall_04b", {"optimizer": {"epsilon": 1e-8}})
    s.port("pitfall_04b", "naive", 2.2e-6, 1.6e-5, {"optimizer": {"epsilon": 1e-7}})
    s.port("pitfall_04b", "faithful", 2.2e-6, 1.6e-5, {"optimizer": {"epsilon": 1e-8}})
    catalogue = judge([declared], s.data)
    assert catalogue.passed
    judged = catalogue.judged[0]
    assert judged.naive_outcome() == "does not differ measurably" and judged.naive.differing() == ["optimizer.epsilon"]
    assert judged.to_dict()["naive_port"]["outcome"] == "does not differ measurably"


def test_a_naive_port_declared_not_to_differ_that_differs_fails():
    declared = entry("04b", settings=["optimizer.epsilon"], stage=None, naive_differs=False)
    s = Summary()
    s.case("pitfall_04b", {"optimizer": {"epsilon": 1e-8}})
    s.port("pitfall_04b", "naive", 3e-3, 1e-2, {"optimizer": {"epsilon": 1e-7}})
    s.port("pitfall_04b", "faithful", 1e-7, 1e-6, {"optimizer": {"epsilon": 1e-8}})
    failures = judge([declared], s.data).failures
    assert len(failures) == 1 and failures[0].startswith("04b: the naive port was declared not to differ measurably, "
                                                         "but it differs: pitfall_04b")


def test_an_entry_judged_on_settings_passes_on_its_basis_and_fails_off_it():
    declared = entry("10a", settings=["dropout.keep_fraction"], judged_on="masks differ")
    ref = {"dropout": {"keep_fraction": 0.8}}

    def catalogue(faithful_keep, faithful_stage):
        s = Summary()
        s.case("pitfall_10a", ref)
        s.port("pitfall_10a", "naive", 1.5, 4.9, {"dropout": {"keep_fraction": 0.2}}, stage="first step")
        s.port("pitfall_10a", "faithful", 0.2, 2.9, {"dropout": {"keep_fraction": faithful_keep}}, stage=faithful_stage)
        return judge([declared], s.data)

    good = catalogue(0.8, "first step")
    assert good.passed and good.judged[0].faithful_outcome() == "green" and good.judged[0].faithful.red
    assert catalogue(0.2, "first step").failures == ["10a: the faithful port is red: its dropout.keep_fraction differ "
                                                     "from TF1's"]
    parted = catalogue(0.8, "forward pass").failures
    assert len(parted) == 1 and "it parts from TF1 at the forward pass" in parted[0]


def test_two_tf1_runs_declared_to_differ_must_differ():
    declared = entry("11a", settings=["input.order"], tf1_runs_differ=["shuffled", "shuffled_again"])

    def catalogue(w_again):
        s = Summary()
        s.case("pitfall_11a", {"input": {"order": "batch plan"}}, ref="plan_fed")
        s.port("pitfall_11a", "naive", 0.03, 0.2, {"input": {"order": "fit(shuffle=True)"}}, ref="plan_fed")
        s.port("pitfall_11a", "faithful", 3e-8, 1e-6, {"input": {"order": "batch plan"}}, ref="plan_fed")
        s.tf1_run("pitfall_11a", "shuffled", 1.0)
        s.tf1_run("pitfall_11a", "shuffled_again", w_again)
        return judge([declared], s.data)

    differ = catalogue(1.04)
    assert differ.passed and differ.judged[0].tf1_runs["differ"]
    assert abs(differ.judged[0].tf1_runs["weights"] - 0.04) < 1e-12
    assert abs(differ.judged[0].tf1_runs["predictions"] - 0.08) < 1e-12
    same = catalogue(1.0)
    assert len(same.failures) == 1 and "the two TF1 runs tf1/pitfall_11a/shuffled and tf1/pitfall_11a/shuffled_again " \
                                       "agree" in same.failures[0] and "expected to differ" in same.failures[0]


def test_a_port_that_did_not_run_and_a_case_not_in_the_summary_fail():
    s = Summary()
    s.case("pitfall_01a", {"loss": {"reduction": "sum"}})
    s.port("pitfall_01a", "naive", 0.5, 5.0, {"loss": {"reduction": "mean"}})
    s.missing("pitfall_01a", "faithful")
    catalogue = judge([entry(), entry("02a")], s.data)
    assert catalogue.judged[0].faithful_outcome() == "did not run"
    assert catalogue.failures == [
        "01a: the faithful port was not compared: tf2/pitfall_01a/faithful: no result; the tf2 side is missing",
        "02a: case pitfall_02a is not in the summary; run the catalogue again"]


def test_an_empty_catalogue_does_not_pass():
    assert not judge([], standard()).passed
