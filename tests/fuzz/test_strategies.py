"""harness.fuzz.strategies: flows are always playable, plans always deliver everything, and both
shrink toward the plainest example (fewer actions, Stripe's natural order)."""

from __future__ import annotations

from hypothesis import HealthCheck, find, given, seed, settings
from hypothesis import strategies as st

from harness.delivery.plan import Planned
from harness.fuzz import decode_case, departures, encode_case
from harness.fuzz.strategies import (
    api_versions,
    billing_modes,
    cases,
    delivery_plans,
    events_by_segment,
    plan_text,
    playable_steps,
    scenarios,
    segment_event_types,
)
from harness.scenario.files import step_name
from harness.sim.simulator import Simulator
from harness.versions import KNOWN_VERSIONS

SHAPE = [[0, 1, 2, 3], [4, 5, 6], [7, 8]]
FIND = settings(database=None, derandomize=True, max_examples=1000)  # the same minimum each run


def names(scenario) -> list[str]:
    return [step_name(s) for s in scenario.steps]


@given(data=st.data())
def test_generated_flows_play_on_every_version_and_billing_mode(data: st.DataObject) -> None:
    version = data.draw(api_versions(KNOWN_VERSIONS))
    mode = data.draw(billing_modes())
    scenario = data.draw(scenarios(version, mode, customers=("alice", "bob")))
    segments = Simulator(scenario, version, billing_mode=mode).run()
    assert names(scenario)[:2] == ["checkout", "checkout"]
    assert names(scenario)[-1] == "checkpoint"
    assert len(segments) == len(scenario.checkpoints)


def test_moves_stripe_would_refuse_are_skipped_not_errors() -> None:
    steps = [{"checkout": {"customer": "alice"}}, {"undo_cancel": {"customer": "alice"}},
             {"resume": {"customer": "alice"}}, {"checkpoint": {}}, {"checkpoint": {}},
             {"cancel_now": {"customer": "alice"}}, {"cancel_now": {"customer": "alice"}},
             {"advance": {"to": "next_renewal"}}, {"checkpoint": {}}]
    kept = playable_steps(steps)
    assert [next(iter(s)) for s in kept] == ["checkout", "checkpoint", "cancel_now"]


def test_actions_in_the_same_second_are_common() -> None:
    """A customer clicking twice: two portal actions with no clock advance between them."""
    flows = []

    @seed(0)
    @settings(max_examples=200, database=None, derandomize=False)
    @given(scenarios())
    def collect(scenario) -> None:
        flows.append(names(scenario)[1:])

    collect()

    def same_second(steps: list[str]) -> bool:
        run = 0
        for name in steps:
            run = 0 if name == "advance" else run + (name != "checkpoint")
            if run >= 2:
                return True
        return False

    assert sum(map(same_second, flows)) / len(flows) > 0.5


def test_flows_shrink_to_the_fewest_actions() -> None:
    found = find(scenarios(), lambda s: "undo_cancel" in names(s), settings=FIND)
    assert names(found) == ["checkout", "cancel_at_period_end", "undo_cancel", "checkpoint"]


@given(data=st.data())
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_every_plan_delivers_each_event_no_earlier_than_stripe_emits_it(
        data: st.DataObject) -> None:
    scenario = data.draw(scenarios())
    shape = events_by_segment(scenario, "2026-10-28.endive")
    plan = data.draw(delivery_plans(shape))
    plan.validate(shape)  # raises on an event never delivered or delivered too early


def test_plans_shrink_to_stripes_natural_order() -> None:
    plan = find(delivery_plans(SHAPE), lambda s: True, settings=FIND)
    assert plan.segments == [[Planned(e) for e in seg] for seg in SHAPE]
    assert plan_text(plan) == "0 1 2 3 | 4 5 6 | 7 8"


def test_an_out_of_order_failure_shrinks_to_one_move() -> None:
    def two_before_one(plan) -> bool:
        order = [p.event for seg in plan.segments for p in seg]
        return order.index(2) < order.index(1)

    plan = find(delivery_plans(SHAPE), two_before_one, settings=FIND)
    assert plan_text(plan) == "0 2 1 3 | 4 5 6 | 7 8"
    types = [[f"type{e}" for e in seg] for seg in SHAPE]
    assert departures(plan, types, ["a", "b", "c"]) == ["#1 type1 delivered after #2 type2"]
    assert all(p.fate == "deliver" for seg in plan.segments for p in seg)


def test_a_drop_shrinks_to_one_lost_first_attempt_in_natural_order() -> None:
    plan = find(delivery_plans(SHAPE),
                lambda s: any(p.fate != "deliver" for seg in s.segments for p in seg),
                settings=FIND)
    assert plan_text(plan) == "0:lost 1 2 3 | 4 5 6 | 7 8"


def test_a_delay_across_a_checkpoint_shrinks_to_the_next_checkpoint() -> None:
    plan = find(delivery_plans(SHAPE), lambda s: Planned(3) not in s.segments[0]
                and Planned(3) in [p for seg in s.segments for p in seg], settings=FIND)
    assert plan_text(plan) == "0 1 2 | 3 4 5 6 | 7 8"
    types = [[f"type{e}" for e in seg] for seg in SHAPE]
    assert departures(plan, types, ["a", "b", "c"]) == [
        "#3 type3 delivered past checkpoint 'a'"]


def test_departures_name_duplicates_and_failed_first_attempts() -> None:
    plan = find(delivery_plans(SHAPE),
                lambda s: "5+" in plan_text(s) and ":fault" in plan_text(s), settings=FIND)
    types = [[f"type{e}" for e in seg] for seg in SHAPE]
    said = departures(plan, types, ["a", "b", "c"])
    assert "#5 type5 delivered again" in said
    assert any("first attempt hit a database failure" in d for d in said)


def test_plans_of_a_real_flow_name_its_event_types() -> None:
    scenario = find(scenarios(), lambda s: "cancel_at_period_end" in names(s), settings=FIND)
    types = segment_event_types(scenario, "2026-10-28.endive")
    assert types[0][0] == "customer.created"
    assert types[-1][-1] == "customer.subscription.updated"


@given(case=cases())
def test_a_case_survives_its_replay_encoding(case) -> None:
    again = decode_case(encode_case(case))
    assert (again.scenario.name, again.scenario.customers, again.scenario.steps) == (
        case.scenario.name, case.scenario.customers, case.scenario.steps)
    assert again.schedule.segments == case.schedule.segments
    assert (again.api_version, again.billing_mode, again.seed) == (
        case.api_version, case.billing_mode, case.seed)


@seed(3)
@settings(max_examples=30, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.data())
def test_each_fuzzed_example_gets_its_own_ids_and_keeps_them(data):
    """An app kept between examples (over HTTP, no reset) must never see one example's events
    as another's duplicates; the same example must get the same ids when replayed."""
    from harness.fuzz.strategies import cases as fuzz_cases

    a = data.draw(fuzz_cases(versions=("2025-03-31.basil",)))
    b = data.draw(fuzz_cases(versions=("2025-03-31.basil",)))
    assert a.world_seed == decode_case(encode_case(a)).world_seed
    flow = {"customers", "steps"}
    same = (a.scenario.model_dump_json(include=flow) == b.scenario.model_dump_json(include=flow)
            and a.schedule.segments == b.schedule.segments and a.billing_mode == b.billing_mode)
    assert (a.world_seed == b.world_seed) == same


def test_a_flows_event_shape_is_its_own_even_when_its_steps_look_alike() -> None:
    """Shapes are remembered per flow; cancel_now and cancel_at_period_end have the same
    fields, so only the step's kind tells the two flows apart."""
    from harness.scenario.files import Scenario

    def flow(cancel: str) -> Scenario:
        return Scenario.model_validate({
            "name": "fuzzed", "description": "d", "customers": ["alice"],
            "steps": [{"checkout": {"customer": "alice", "price": "price_pro_monthly"}},
                      {"checkpoint": {"name": "cp1"}}, {cancel: {"customer": "alice"}},
                      {"checkpoint": {"name": "end"}}]})

    shapes = []
    for cancel in ("cancel_now", "cancel_at_period_end", "cancel_now"):
        scenario = flow(cancel)
        fresh = [[e.type for e in seg.events]
                 for seg in Simulator(scenario, "2025-03-31.basil").segments()]
        shape = segment_event_types(scenario, "2025-03-31.basil")
        assert shape == fresh
        shapes.append(shape)
    assert shapes[0] != shapes[1] and shapes[0] == shapes[2]
