"""The Rasa server process: `python -m bot.rasa_server run ...` is `rasa run ...` without jax.

TensorFlow 2.12 depends on jax, and TensorFlow's TFLite converter imports it whenever it is
installed, although nothing in the bot or in Rasa's serving path uses it: that import costs
about 65 MB of memory and half a second of every start. The converter treats a missing jax as
normal (it catches the ImportError), so here jax is simply made unimportable before Rasa starts.

TensorFlow itself is still imported: Rasa 3.6 imports it at module level on the way to its
agent (rasa.core.agent -> rasa.core.policies.policy -> ... -> rasa.utils.train_utils ->
rasa.utils.tensorflow.callback), even when no component of the model uses it.

The model's graph runs node after node instead of through dask (bot/dialogue/graph_runner.py),
and the model's domain is read without a second schema check (bot/dialogue/trained_domain.py).
With more than one worker (SANIC_WORKERS, from BOT_WORKERS) the workers take new connections in
turn (bot/scale/take_turns.py).
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from typing import List, Optional

UNUSED = ("jax", "jaxlib")


class _Unused(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):  # noqa: ANN001 (the import system's signature)
        if name.split(".")[0] in UNUSED:
            raise ImportError(f"{name} is not used by the bot (see bot/rasa_server.py)")
        return None


def main(argv: Optional[List[str]] = None) -> None:
    sys.meta_path.insert(0, _Unused())
    from rasa.__main__ import main as rasa_main

    from bot.dialogue import graph_runner, trained_domain

    graph_runner.use_in_rasa()
    trained_domain.use_in_rasa()

    from bot.scale.take_turns import use_in_workers

    use_in_workers(int(os.environ.get("SANIC_WORKERS", "1") or 1))

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
