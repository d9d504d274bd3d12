"""The small trained model the serving-model tests share: 24 items in chains, trained once for the package."""

from __future__ import annotations

import pytest

from optirec.ml.evaluation.train_test import TrainOutput, train
from optirec.ml.model.network import ModelConfig
from optirec.ml.train.fit import FitConfig
from optirec.ml.train.inputs import EventsInput, ItemInput

from ..conftest import chain_events


@pytest.fixture(scope="package")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainOutput:
    users, items, actions, times = chain_events()
    catalogue = [ItemInput(f"i{k}", attributes={"group": str(k % 3)}) for k in range(24)]
    model = ModelConfig(dim=16, max_len=10, epochs=4, batch_size=16, negatives=0, eval_every=2, dropout=0.1)
    config = FitConfig(model=model, lam_grid=(1.0, 10.0), neighbours=5)
    return train(EventsInput(users, items, actions, times), catalogue, config, tmp_path_factory.mktemp("models"))
