"""The order in which the sequential runner calls a graph's nodes."""

from bot.dialogue.graph_runner import plan_for

GRAPH = {
    "tokenizer": ["message"],
    "featurizer": ["tokenizer"],
    "classifier": ["featurizer"],
    "guard": ["tokenizer"],
    "combiner": ["classifier", "guard"],
    "unrelated": ["message"],
}


def test_every_node_comes_after_the_nodes_it_needs():
    plan = plan_for(GRAPH, ["combiner"])
    order = [name for name, _ in plan]
    for name, needs in plan:
        for needed in needs:
            if needed in GRAPH:
                assert order.index(needed) < order.index(name)


def test_only_what_the_targets_need_is_run_each_node_once_and_inputs_are_not_nodes():
    order = [name for name, _ in plan_for(GRAPH, ["combiner", "classifier"])]
    assert sorted(order) == ["classifier", "combiner", "featurizer", "guard", "tokenizer"]
    assert "message" not in order and "unrelated" not in order


def test_each_node_is_given_the_names_of_its_inputs_in_the_graphs_order():
    assert dict(plan_for(GRAPH, ["combiner"]))["combiner"] == ["classifier", "guard"]
