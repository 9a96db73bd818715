"""Runs a trained model's graph node after node, in this thread, instead of through dask.

Rasa runs the model's graph (the NLU pipeline once a turn, the policies twice) with dask's
synchronous scheduler. Our graphs are small chains, and dask's bookkeeping around them (it
orders the graph, builds a state machine and a queue for each run) cost about 1.3 ms of a
9 ms turn on a 2-core machine, more than the intent classifier itself. Here the order of
the nodes is worked out once per set of targets and each run just calls them: the same
nodes, the same inputs, the same outputs (tests/model/test_graph_runner.py runs both on the
trained model and compares).

Rasa's processor names its runner class directly (rasa.core.processor.DaskGraphRunner), so
`use_in_rasa()` swaps that name before a model is loaded; bot/rasa_server.py calls it for the
server, and the bench for its NLU measurement.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

# The nodes to call, in order, for one set of targets: (node name, names of the inputs).
Plan = List[Tuple[Text, List[Text]]]


def plan_for(needs_of: Dict[Text, List[Text]], targets: List[Text]) -> Plan:
    """Every node the targets depend on, each after the nodes it needs (depth first)."""
    plan: Plan = []
    seen = set()

    def visit(name: Text) -> None:
        if name in seen or name not in needs_of:
            return  # inputs given at run time are not nodes
        seen.add(name)
        for needed in needs_of[name]:
            visit(needed)
        plan.append((name, needs_of[name]))

    for target in targets:
        visit(target)
    return plan


class SequentialGraphRunner(DaskGraphRunner):
    """DaskGraphRunner's nodes and results, called one after another."""

    def run(self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = list(targets) if targets else list(self._graph_schema.target_names)
        plans: Dict[Tuple[Text, ...], Plan] = self.__dict__.setdefault("_plans", {})
        plan = plans.get(tuple(run_targets))
        if plan is None:
            needs_of = {name: list(node.needs.values()) for name, node in self._graph_schema.nodes.items()}
            plan = plans[tuple(run_targets)] = plan_for(needs_of, run_targets)
        # A node receives each input as (name, value), as dask hands them over; a name that
        # nothing provides is passed as the bare name, which the node reports as unresolved.
        results: Dict[Text, Any] = {name: (name, value) for name, value in (inputs or {}).items()}
        try:
            for name, needed in plan:
                results[name] = self._instantiated_nodes[name](*[results.get(n, n) for n in needed])
        except RuntimeError as e:  # what DaskGraphRunner turns into a GraphRunError too
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)


def use_in_rasa() -> None:
    """Make Rasa's processor load models with the sequential runner (before any is loaded)."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
