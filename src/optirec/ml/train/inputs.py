"""The plain inputs of training (what the service exports): events as parallel lists and catalogue products."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from optirec.errors import InvalidInput
from optirec.ml.model.actions import ACTIONS
from optirec.ml.model.content import ItemContent
from optirec.ml.train.data import Interactions, from_arrays, load_dataset


@dataclass(frozen=True)
class EventsInput:
    """Parallel lists of events: `timestamps` in seconds since the epoch, actions from `model.actions.ACTIONS`."""

    user_ids: Sequence[str]
    item_ids: Sequence[str]
    actions: Sequence[str]
    timestamps: Sequence[int]


@dataclass(frozen=True)
class ItemInput:
    """One catalogue product: optional text (name, description), attribute values and free tokens."""

    item_id: str
    text: str = ""
    attributes: dict[str, str] = field(default_factory=dict)  # becomes tokens "key=value"
    tokens: Sequence[str] = ()  # already tokenised attributes (brand ids, categories…)


def item_content(items: Sequence[ItemInput]) -> ItemContent:
    """Text and `key=value` attribute tokens of the catalogue."""
    return ItemContent(
        text={i.item_id: i.text for i in items if i.text},
        tokens={i.item_id: [*i.tokens, *(f"{k}={v}" for k, v in sorted(i.attributes.items()))] for i in items},
    )


def dataset_inputs(folder: Path) -> tuple[EventsInput, list[ItemInput]]:
    """A data set folder as the plain inputs of `train` (what the service would export)."""
    data, content = load_dataset(folder)
    events = EventsInput(
        [data.user_ids[u] for u in data.users],
        [data.item_ids[i] for i in data.items],
        [ACTIONS[a] for a in data.actions],
        data.timestamps.tolist(),
    )
    items = [ItemInput(i, content.text.get(i, ""), tokens=content.tokens.get(i, [])) for i in data.item_ids]
    return events, items


def interactions(events: EventsInput, items: Sequence[ItemInput]) -> Interactions:
    """The events as integer arrays, over the products' catalogue; refuses an empty export."""
    if len(events.user_ids) == 0:
        raise InvalidInput("no events to train on")
    return from_arrays(
        list(events.user_ids),
        list(events.item_ids),
        list(events.actions),
        list(events.timestamps),
        catalogue=[i.item_id for i in items],
    )
