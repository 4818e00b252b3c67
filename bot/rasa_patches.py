"""Three startup patches for known costs inside Rasa 3.6.21 (issue 12, bench/README.md).

1. Every custom-action response is checked with `jsonschema.validate()`
   (rasa/core/actions/action.py, `RemoteAction._validate_action_result`), which checks the
   schema itself against the meta-schema and builds a new validator on every call (~30 ms per
   call on this machine). Here the schema is checked once and one validator is kept: the same
   schema (`RemoteAction.action_response_format_spec()`), the same `best_match` error, the same
   message suffix, so an invalid response is still rejected exactly as before.
2. `Event.resolve_by_type` (rasa/shared/core/events.py) walks all subclasses of `Event` for each
   event it deserialises (~10 ms for a 240-event tracker). Here the name → class map is cached;
   a miss rebuilds it (a class imported later is still found), then falls back to the original
   behaviour (`topic`, `default`, ValueError).
3. Loading a trained DIET or TED model (`RasaModel.load`, rasa/utils/tensorflow/models.py) runs
   one training step only to create the variables: tracing the training graph took 44 s (DIET)
   and 15 s (TED) of the 67 s this model needed to load. Here one eager prediction creates the
   variables instead, the checkpoint is restored into them, the label embeddings are computed
   from the restored values and the prediction graph is traced, as Rasa does after loading:
   the model loads in about 15 s and predicts exactly as before (tests/test_rasa_patches.py
   compares the predictions with Rasa's own loader). Fine-tuning (`finetune_mode`) still loads
   Rasa's way.

`apply()` is called where Rasa starts (bot/rasa_server.py) and only patches the exact Rasa
version it was written against; any other version logs a warning and runs unpatched.
RASA_STARTUP_PATCHES=0 turns them off (to compare, or to rule them out).
"""

from __future__ import annotations

import logging
import os
from typing import Any, Optional

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
_applied = False


def _validator_patch() -> None:
    from jsonschema import ValidationError, exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = exceptions.best_match(validator.iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    _validate_action_result.__wrapped__ = RemoteAction._validate_action_result  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def _event_lookup_patch() -> None:
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    by_name: dict[str, type] = {}

    def rebuild() -> None:
        by_name.clear()
        for cls in rasa.shared.utils.common.all_subclasses(Event):
            by_name.setdefault(cls.type_name, cls)  # first one wins, as in the original loop

    def resolve_by_type(type_name: str, default: Optional[type] = None) -> Optional[type]:
        cls = by_name.get(type_name)
        if cls is None:
            rebuild()
            cls = by_name.get(type_name)
        if cls is not None:
            return cls
        return original(type_name, default)

    resolve_by_type.__wrapped__ = original  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


def _model_load_patch() -> None:
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.models import RasaModel

    original = RasaModel.load.__func__

    def load(cls, model_file_name, model_data_example, predict_data_example=None, finetune_mode=False,
             *args: Any, **kwargs: Any):
        if finetune_mode or predict_data_example is None:
            return original(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                            *args, **kwargs)
        logger.debug("Loading the model from %s (inference graph only)...", model_file_name)
        model = cls(*args, **kwargs)
        config = kwargs.get("config", {})
        model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
                      run_eagerly=config.get(RUN_EAGERLY))
        # One eager prediction creates every variable inference uses (no graph is traced)...
        eager, model._run_eagerly = model._run_eagerly, True
        model.run_inference(predict_data_example)
        model._run_eagerly = eager
        # ...then the trained values replace them. The checkpoint also holds the optimizer's
        # slots and training-only values, which inference does not need.
        model.load_weights(model_file_name).expect_partial()
        # The label embeddings were computed from the initial values: again, from the trained ones,
        # and the prediction graph is traced once, as Rasa does after loading.
        model.prepare_for_predict()
        model.prepared_for_prediction = True
        model._tf_predict_step = None
        model.run_inference(predict_data_example)
        logger.debug("Finished loading the model.")
        return model

    load.__wrapped__ = original  # type: ignore[attr-defined]
    RasaModel.load = classmethod(load)  # type: ignore[method-assign]


def apply(version: Optional[str] = None) -> bool:
    """Patch Rasa in this process (idempotent). False (with a warning) on another version."""
    global _applied
    import rasa

    if os.environ.get("RASA_STARTUP_PATCHES", "1").strip() == "0":
        logger.info("bot.rasa_patches: off (RASA_STARTUP_PATCHES=0)")
        return False
    found = version or rasa.__version__
    if found != RASA_VERSION:
        logger.warning("bot.rasa_patches: written for rasa==%s, found %s: running without the "
                       "startup patches (check them against the new source before enabling).",
                       RASA_VERSION, found)
        return False
    if not _applied:
        _validator_patch()
        _event_lookup_patch()
        _model_load_patch()
        _applied = True
    return True
