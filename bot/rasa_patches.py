"""Nine startup patches for known costs inside Rasa 3.6.21 (issue 12, bench/README.md).

1. Every custom-action response is checked with `jsonschema.validate()`
   (rasa/core/actions/action.py, `RemoteAction._validate_action_result`), which checks the
   schema itself against the meta-schema and builds a new validator on every call (~30 ms per
   call on this machine). Here the schema is checked once and one validator is kept: the same
   schema (`RemoteAction.action_response_format_spec()`), the same `best_match` error, the same
   message suffix, so an invalid response is still rejected exactly as before. A response the
   schema accepts is recognised first by a check that tests each event only against the one
   alternative of the schema's 23-way `oneOf` that its `event` name selects (11.5 → 1.8 ms for a
   29-event verdict response); anything else is judged by the full validator.
   RASA_ACTION_RESULT_CHECK=1 runs the full validator on every accepted response as well.
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
4. Every policy, for every action it predicts, rebuilds the dialogue's states from the first
   event of the session (`DialogueStateTracker.past_states` → `Domain.states_for_tracker_history`
   replays all events into a fresh tracker): Memoization, Rules and TED each do it, so the cost
   grows with the conversation although only the last 5 states are used. Here the replay is kept
   on the tracker, per set of arguments, and continued from where it stopped when the tracker has
   only grown (the events seen so far are the same objects, in the same order). A form's next
   step is not growth — its applied events leave out the user's message and the listen after the
   form's last execution — so the replay also keeps a checkpoint (its tracker copied, patch 9) at
   the form's last execution among the events it applied, and resumes there when the events up
   to it are still the first ones. Anything else — a reverted action, a restart, another domain —
   starts again from the beginning. The loop body
   is Rasa's own, line for line, and each call returns fresh copies of the states, so a caller
   that edits them (the featurisers delete `text` or `intent` in place) cannot change the kept
   ones. RASA_PAST_STATES_CHECK=1 computes Rasa's original as well on every call and raises on
   any difference (tests/test_rasa_patches.py runs conversations with it on).
5. Once the model is loaded (`rasa.core.agent.load_agent`), the ~570,000 objects it created
   (TensorFlow, Keras, the featurisers' vocabularies) are moved out of the cyclic garbage
   collector's reach (`gc.freeze()`): they live as long as the process, and every full
   collection walked all of them again, in the middle of turns that allocate many small objects
   (events, states). Objects are still freed by reference counting; only the scan is skipped.
6. TED runs its transformer for every predicted action, also when the Rules or Memoization
   policy has already decided with certainty — most steps of a form are rule predictions. TED
   cannot win those: the ensemble (`DefaultPolicyPredictionEnsemble._pick_best_policy`) takes
   the highest (confidence, priority), a rule or memo hit has confidence 1.0 and a higher priority
   than TED, and TED's own confidence is at most 1.0. Here TED's prediction is deferred until the
   ensemble looks at it, and it is only computed when no higher-priority policy predicted with
   confidence 1.0 (or one said "no user" — TED never does, so it is left out anyway), and not
   after a rejected action (the ensemble zeroes that action's confidence first). The
   winner, its events and its confidences are the same. Only a TED trained without end-to-end
   (text) stories is deferred: an end-to-end prediction overrules the others, so it has to run.
   RASA_TED_SKIP_CHECK=1 computes TED anyway and raises if the winner would have differed;
   RASA_TED_SKIP=0 leaves this one patch out (to compare).
7. Every call to the action server opens a new aiohttp `ClientSession`, and with it a new TCP
   connection (`EndpointConfig.request`, rasa/utils/endpoints.py), and the request body — the
   whole tracker, ~500 events late in a conversation — is encoded by the standard `json` module.
   Here one session per endpoint and event loop is kept, so the connection is reused
   (keep-alive, given up after ACTIONS_KEEPALIVE_SECONDS, default 2 s: well below the action
   server's own 5 s, so an idle connection is never reused just as the server closes it), and
   the body is encoded by `ujson` (a Rasa dependency); whatever ujson cannot encode exactly as
   JSON (NaN, very large integers, unknown objects) is encoded by `json` as before. The request
   itself — method, URL, headers, parameters, timeout, the error on status >= 400, the answer —
   is Rasa's, line for line. The kept sessions are closed when the server stops.
8. `DialogueStateTracker.applied_events` walks every event of the session for each call (and
   for a form step looks back through the applied events again for each earlier step of the
   loop): 2.2 ms for a 485-event conversation on this machine, and a turn calls it four to six
   times (the policies' states, the session check, `get_last_event_for`). It is a fold over the
   events once the names of the loops among them are known, so its result is kept on the
   tracker and continued with the events added since — when those name no new loop and the
   deque still starts with exactly the events seen (compared by identity, a few microseconds);
   anything else computes it afresh.
   The loop body is Rasa's, and each call returns a new list. RASA_APPLIED_EVENTS_CHECK=1
   computes Rasa's original on every call as well and raises on any difference.
9. `DialogueStateTracker.copy()` (rasa/shared/core/trackers.py) builds the copy by replaying
   every event into a new tracker: 1.2 ms for a 485-event conversation, once for every action a
   turn runs (rasa/core/processor.py `_run_action` copies the tracker before each one). The
   tracker's state "MUST be re-creatable by processing all the events" (Rasa's own comment in
   `DialogueStateTracker.__init__`), and nothing in Rasa or here changes it otherwise, so the copy
   now takes the state directly: the same events in a new deque, copies of the slots, of the
   latest action and of the active loop, the same latest message and bot utterance, and the
   follow-up action the events set (not the tracker's own, which the processor clears without
   an event) — and what `init_copy` leaves out of a replayed copy (model and assistant id,
   sender source) left out as well. After an undo (which replays the applied events), Subclasses, trackers without a domain's slots and events whose timestamps the replay
   would stop at are copied Rasa's way. RASA_TRACKER_COPY_CHECK=1 makes Rasa's copy as well on
   every call and raises on any difference in state.
10. `FormAction._temporary_tracker` (rasa/core/actions/forms.py) builds a tracker for the form's
   validation action and for asking its next slot by replaying every event after the latest
   restart: twice per form step, the largest replay left in a late form turn (the cProfile of
   turns 37-48: 13,650 of the 26,252 event applications). When the conversation has no restart
   and keeps every event, that replay gives the conversation's own state, so the temporary
   tracker is a copy (patch 9) with the form's events applied. RASA_FORM_TRACKER_CHECK=1 builds
   Rasa's beside it and raises on any difference in state or events.

`apply()` is called where Rasa starts (bot/rasa_server.py) and only patches the exact Rasa
version it was written against; any other version logs a warning and runs unpatched.
RASA_STARTUP_PATCHES=0 turns them off (to compare, or to rule them out).
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Optional

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
_applied = False
# 0: patch 4 without resuming a form step at its checkpoint (to compare)
_STATES_CHECKPOINT = os.environ.get("RASA_STATES_CHECKPOINT", "1").strip() != "0"


def _valid_by_event_name(schema: dict[str, Any], cls: Any) -> Callable[[Any], bool]:
    """A check that says True only for results the whole schema accepts, an order of magnitude
    faster for long responses: each event is checked against the one `oneOf` alternative its
    `event` name selects (every alternative fixes `event` to its own constant, and the schema
    requires `event`, so for a known name all the others fail and "exactly one" is that one
    passing), instead of against all 23. Anything it does not accept (an unknown event name, a
    schema of another shape, an invalid result) goes to the full validator, which gives Rasa's
    own verdict and error."""
    try:
        events = schema["properties"]["events"]
        event = events["items"]
        outer = {k: v for k, v in event.items() if k != "oneOf"}
        names = [alt["properties"]["event"]["const"] for alt in event["oneOf"]]
        shape_ok = (schema["type"] == "object" and set(schema["properties"]) == {"events", "responses"}
                    and events["type"] == "array" and "event" in outer["required"]
                    and len(set(names)) == len(names))
    except (KeyError, TypeError):
        shape_ok = False
    if not shape_ok:
        return lambda result: False
    by_name = {name: cls({"allOf": [outer, alt]}) for name, alt in zip(names, event["oneOf"])}
    responses = cls(schema["properties"]["responses"])

    def valid(result: Any) -> bool:
        if not isinstance(result, dict):
            return False
        if "events" in result:
            if not isinstance(result["events"], list):
                return False
            for item in result["events"]:
                name = item.get("event") if isinstance(item, dict) else None
                check = by_name.get(name) if isinstance(name, str) else None
                if check is None or not check.is_valid(item):
                    return False
        return "responses" not in result or responses.is_valid(result["responses"])

    return valid


def _validator_patch() -> None:
    from jsonschema import ValidationError, exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    valid_quickly = _valid_by_event_name(schema, cls)
    check = os.environ.get("RASA_ACTION_RESULT_CHECK", "").strip() == "1"

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if valid_quickly(result):
            if check and not validator.is_valid(result):
                raise AssertionError("RASA_ACTION_RESULT_CHECK: accepted a response Rasa's schema rejects")
            return True
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


class _StatesReplay:
    """Rasa's `states_for_tracker_history` loop, resumable: the prior tracker, the states of the
    action points seen so far and the loop's two variables — and a checkpoint at the latest
    execution of a form (loop), because the applied events of a form's next step leave out the
    user's message and the listen before it (`_undo_till_previous_loop_execution`): the events
    seen so far are then no longer a prefix, but the ones up to that execution still are."""

    __slots__ = ("domain", "events", "tracker", "states", "last_ml_action_sub_state", "turn_was_hidden",
                 "checkpoint")

    def __init__(self, tracker: Any, domain: Any) -> None:
        self.domain = domain
        self.events: list = []
        self.tracker = tracker.init_copy()
        self.states: list = []
        self.last_ml_action_sub_state = None
        self.turn_was_hidden = False
        self.checkpoint: Optional[tuple] = None  # (events, states, the two variables, tracker)

    def continues(self, applied: list, domain: Any) -> bool:
        n = len(self.events)
        return (domain is self.domain and len(applied) >= n
                and all(a is b for a, b in zip(self.events, applied)))

    def keep_checkpoint(self, variables: list) -> None:
        """After a form's ActionExecuted has been applied: where the next form step resumes."""
        self.checkpoint = (len(self.events), len(self.states), tuple(variables), self.tracker.copy())

    def resume(self, applied: list, domain: Any) -> bool:
        """Back to the checkpoint when the events up to it are still the first applied ones."""
        if self.checkpoint is None or domain is not self.domain or not _STATES_CHECKPOINT:
            return False
        n_events, n_states, variables, tracker = self.checkpoint
        if len(applied) < n_events or not all(a is b for a, b in zip(self.events[:n_events], applied)):
            return False
        del self.events[n_events:]
        del self.states[n_states:]
        self.last_ml_action_sub_state, self.turn_was_hidden = variables
        self.tracker, self.checkpoint = tracker, None  # the replay goes on from here: kept anew
        return True

    def point(self, states: list, hide_rule_turn: bool, omit_unset_slots: bool,
              ignore_rule_only_turns: bool, rule_only_data: Any, variables: list) -> None:
        """One iteration of the loop in rasa/shared/core/domain.py (states_for_tracker_history)."""
        from rasa.shared.core.constants import PREVIOUS_ACTION

        domain, tr = self.domain, self.tracker
        if ignore_rule_only_turns:
            if not variables[1]:
                variables[0] = domain._get_prev_action_sub_state(tr)
            if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
                variables[1] = hide_rule_turn
            if variables[1]:
                return
        state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if variables[0]:
                state[PREVIOUS_ACTION] = variables[0]
        states.append(domain._clean_state(state))


def _copy_states(states: list) -> list:
    return [{key: dict(sub) if isinstance(sub, dict) else sub for key, sub in state.items()}
            for state in states]


def _past_states_patch() -> None:
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    original = DialogueStateTracker.past_states
    check = os.environ.get("RASA_PAST_STATES_CHECK", "").strip() == "1"

    def past_states(self: Any, domain: Any, omit_unset_slots: bool = False,
                    ignore_rule_only_turns: bool = False,
                    rule_only_data: Optional[dict] = None) -> list:
        if type(self) is not DialogueStateTracker or self.is_rule_tracker:
            return original(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        key = (omit_unset_slots, ignore_rule_only_turns, repr(rule_only_data))
        kept = self.__dict__.setdefault("_bot_states_replays", {})
        applied = self.applied_events()
        replay = kept.get(key)
        if replay is None or not (replay.continues(applied, domain) or replay.resume(applied, domain)):
            replay = kept[key] = _StatesReplay(self, domain)
        variables = [replay.last_ml_action_sub_state, replay.turn_was_hidden]
        new = applied[len(replay.events):]
        forms = domain.form_names  # a checkpoint after the last form execution among the new events only
        last_form = max((i for i, e in enumerate(new) if isinstance(e, ActionExecuted) and e.action_name in forms),
                        default=-1)
        for i, event in enumerate(new):
            if isinstance(event, ActionExecuted):
                replay.point(replay.states, event.hide_rule_turn, omit_unset_slots,
                             ignore_rule_only_turns, rule_only_data, variables)
            replay.tracker.update(event)
            replay.events.append(event)
            if i == last_form:
                replay.keep_checkpoint(variables)
        replay.last_ml_action_sub_state, replay.turn_was_hidden = variables
        # the final point (the tracker as it is now) is not kept: the next event may change it
        states = _copy_states(replay.states)
        replay.point(states, False, omit_unset_slots, ignore_rule_only_turns, rule_only_data,
                     list(variables))
        if check:
            expected = original(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
            if states != expected:
                raise AssertionError(f"bot.rasa_patches: past_states differ for {self.sender_id}: "
                                     f"{states!r} != {expected!r}")
        return states

    past_states.__wrapped__ = original  # type: ignore[attr-defined]
    DialogueStateTracker.past_states = past_states  # type: ignore[method-assign]


def _freeze_after_load_patch() -> None:
    import gc

    import rasa.core.agent

    original = rasa.core.agent.load_agent

    async def load_agent(*args: Any, **kwargs: Any) -> Any:
        agent = await original(*args, **kwargs)
        gc.collect()
        gc.freeze()
        logger.debug("bot.rasa_patches: %s objects frozen after loading the model", gc.get_freeze_count())
        return agent

    load_agent.__wrapped__ = original  # type: ignore[attr-defined]
    rasa.core.agent.load_agent = load_agent


class _DeferredPrediction:
    """TED's prediction, computed only if the ensemble needs it (patch 6). Any other reader (a
    direct call of `predict_action_probabilities`) gets the computed prediction's attributes."""

    def __init__(self, policy: Any, compute: Any, domain: Any):
        self.policy_name = policy.__class__.__name__
        self.policy_priority = policy.priority
        self._compute = compute
        self._domain = domain
        self._result: Any = None

    def resolve(self) -> Any:
        if self._result is None:
            self._result = self._compute()
        return self._result

    def __getattr__(self, name: str) -> Any:  # only for attributes not set above
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.resolve(), name)

    def skipped(self) -> Any:
        from rasa.core.policies.policy import PolicyPrediction

        return PolicyPrediction([0.0] * self._domain.num_actions, self.policy_name, self.policy_priority)


def _certain_above(predictions: list, priority: int) -> bool:
    """A resolved prediction makes any lower-priority one irrelevant (see patch 6)."""
    return any(p.is_no_user_prediction or (p.max_confidence >= 1.0 and p.policy_priority > priority
                                           and not p.is_end_to_end_prediction)
               for p in predictions)


def _last_action_rejected(tracker: Any) -> bool:
    from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected

    for event in reversed(tracker.events):
        if isinstance(event, (ActionExecutionRejected, ActionExecuted)):
            return isinstance(event, ActionExecutionRejected)
    return False


def _ted_skip_patch() -> None:
    from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.shared.nlu.constants import TEXT

    predict = TEDPolicy.predict_action_probabilities
    combine = DefaultPolicyPredictionEnsemble.combine_predictions_from_kwargs

    def predict_action_probabilities(self: Any, tracker: Any, domain: Any, *args: Any, **kwargs: Any) -> Any:
        if (type(self) is not TEDPolicy or self.model is None or self.only_e2e
                or TEXT in (getattr(self, "fake_features", None) or {})):
            return predict(self, tracker, domain, *args, **kwargs)
        return _DeferredPrediction(self, lambda: predict(self, tracker, domain, *args, **kwargs), domain)

    def combine_predictions_from_kwargs(self: Any, tracker: Any, domain: Any, **kwargs: Any) -> Any:
        deferred = {k: v for k, v in kwargs.items() if isinstance(v, _DeferredPrediction)}
        if not deferred:
            return combine(self, tracker, domain, **kwargs)
        known = [v for v in kwargs.values() if isinstance(v, PolicyPrediction)]
        # after a rejected action the ensemble zeroes that action in every prediction first, so
        # a certain rule may not stay certain: then TED is computed
        rejected = _last_action_rejected(tracker)
        resolved = dict(kwargs)
        for key, later in deferred.items():
            skip = not rejected and _certain_above(known, later.policy_priority)
            resolved[key] = later.skipped() if skip else later.resolve()
        best = combine(self, tracker, domain, **resolved)
        if os.environ.get("RASA_TED_SKIP_CHECK", "").strip() == "1":
            full = combine(self, tracker, domain, **{**kwargs, **{k: v.resolve() for k, v in deferred.items()}})
            if full != best:
                raise AssertionError(f"bot.rasa_patches: skipping TED changed the prediction for "
                                     f"{tracker.sender_id}: {best.policy_name} != {full.policy_name}")
        return best

    predict_action_probabilities.__wrapped__ = predict  # type: ignore[attr-defined]
    combine_predictions_from_kwargs.__wrapped__ = combine  # type: ignore[attr-defined]
    TEDPolicy.predict_action_probabilities = predict_action_probabilities  # type: ignore[method-assign]
    DefaultPolicyPredictionEnsemble.combine_predictions_from_kwargs = combine_predictions_from_kwargs  # type: ignore[method-assign]


def _dumps(obj: Any) -> str:
    """JSON text for a request body: ujson where it encodes exactly, `json` otherwise."""
    import json

    import ujson

    try:
        return ujson.dumps(obj, escape_forward_slashes=False, allow_nan=False)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(obj)


_KEPT_SESSIONS = "_bot_kept_sessions"


def kept_session(endpoint: Any) -> Any:
    """The endpoint's aiohttp session for the running event loop, made on first use (patch 7)."""
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    from bot.env import env_number

    loop = asyncio.get_running_loop()
    sessions: dict = endpoint.__dict__.setdefault(_KEPT_SESSIONS, {})
    for other in [k for k, v in sessions.items() if k.is_closed() or v.closed]:
        sessions.pop(other)
    session = sessions.get(loop)
    if session is None:
        auth = (aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
                if endpoint.basic_auth else None)
        seconds = env_number("ACTIONS_KEEPALIVE_SECONDS", 2.0)
        connector = aiohttp.TCPConnector(keepalive_timeout=seconds) if seconds > 0 else \
            aiohttp.TCPConnector(force_close=True)
        session = aiohttp.ClientSession(headers=endpoint.headers, auth=auth, connector=connector,
                                        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                        json_serialize=_dumps)
        sessions[loop] = session
    return session


async def close_kept_sessions(endpoint: Any) -> None:
    for session in list(endpoint.__dict__.pop(_KEPT_SESSIONS, {}).values()):
        if not session.closed:
            await session.close()


def _action_session_patch() -> None:
    import ssl

    import rasa.core.run
    from aiohttp import ContentTypeError
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

    original = EndpointConfig.request
    endpoints: list = []  # the endpoints with kept sessions, closed when the server stops

    async def request(self: EndpointConfig, method: str = "post", subpath: Optional[str] = None,
                      content_type: Optional[str] = "application/json", compress: bool = False,
                      **kwargs: Any) -> Optional[Any]:
        # Rasa's EndpointConfig.request (rasa/utils/endpoints.py), but for the session
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        if "headers" in kwargs:
            headers.update(kwargs["headers"])
            del kwargs["headers"]
        if self.headers:
            headers.update(self.headers)
        url = concat_url(self.url, subpath)
        sslcontext = None
        if self.cafile:
            try:
                sslcontext = ssl.create_default_context(cafile=self.cafile)
            except FileNotFoundError as e:
                raise FileNotFoundException(
                    f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist.") from e
        if _KEPT_SESSIONS not in self.__dict__:
            endpoints.append(self)
        session = kept_session(self)
        async with session.request(method, url, headers=headers, params=self.combine_parameters(kwargs),
                                   compress=compress, ssl=sslcontext, **kwargs) as response:
            if response.status >= 400:
                raise ClientResponseError(response.status, response.reason, await response.content.read())
            try:
                return await response.json()
            except ContentTypeError:
                return None

    close_resources = rasa.core.run.close_resources

    async def close_resources_and_sessions(app: Any, loop: Any) -> None:
        while endpoints:
            await close_kept_sessions(endpoints.pop())
        await close_resources(app, loop)

    run = RemoteAction.run

    async def remote_run(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
        endpoint = self.action_endpoint
        if endpoint is not None and "request" not in endpoint.__dict__:
            endpoint.request = request.__get__(endpoint)  # this endpoint only (not NLG, model server)
        return await run(self, *args, **kwargs)

    request.__wrapped__ = original  # type: ignore[attr-defined]
    remote_run.__wrapped__ = run  # type: ignore[attr-defined]
    close_resources_and_sessions.__wrapped__ = close_resources  # type: ignore[attr-defined]
    RemoteAction.run = remote_run  # type: ignore[method-assign]
    rasa.core.run.close_resources = close_resources_and_sessions


class _Applied:
    """The kept result of `applied_events` (patch 8) and what it was computed from."""

    __slots__ = ("events", "seen", "loops", "applied")

    def __init__(self, events: Any, loops: set, applied: list) -> None:
        self.events, self.seen, self.loops, self.applied = events, tuple(events), loops, applied

    def continues(self, events: Any) -> bool:
        """The same deque, still starting with exactly the events seen (identity, in C)."""
        from itertools import islice
        from operator import is_

        return (self.events is events and len(self.seen) <= len(events)
                and all(map(is_, islice(events, len(self.seen)), self.seen)))


def _applied_events_patch() -> None:
    from itertools import islice

    from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, Restarted,
                                         SessionStarted, UserUttered, UserUtteranceReverted)
    from rasa.shared.core.trackers import DialogueStateTracker

    original = DialogueStateTracker.applied_events
    check = os.environ.get("RASA_APPLIED_EVENTS_CHECK", "").strip() == "1"

    def fold(tracker: Any, events: Any, loop_names: set, applied_events: list) -> list:
        # the loop of Rasa's DialogueStateTracker.applied_events (rasa/shared/core/trackers.py)
        for event in events:
            if isinstance(event, (Restarted, SessionStarted)):
                applied_events = []
            elif isinstance(event, ActionReverted):
                tracker._undo_till_previous(ActionExecuted, applied_events)
            elif isinstance(event, UserUtteranceReverted):
                tracker._undo_till_previous(UserUttered, applied_events)
                tracker._undo_till_previous(ActionExecuted, applied_events)
            elif (isinstance(event, ActionExecuted) and event.action_name in loop_names
                  and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied_events)):
                tracker._undo_till_previous_loop_execution(event.action_name, applied_events)
            else:
                applied_events.append(event)
        return applied_events

    def loops_of(events: Any) -> set:
        return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}

    def applied_events(self: Any) -> list:
        if type(self) is not DialogueStateTracker:
            return original(self)
        events = self.events
        kept = self.__dict__.get("_bot_applied")
        if kept is not None and kept.continues(events):
            new = list(islice(events, len(kept.seen), None))
            if not new:
                result = kept.applied
            elif loops_of(new) <= kept.loops:
                result = fold(self, new, kept.loops, kept.applied)
                self.__dict__["_bot_applied"] = _Applied(events, kept.loops, result)
            else:
                kept = None
        else:
            kept = None
        if kept is None:
            loops = loops_of(events)
            result = fold(self, events, loops, [])
            self.__dict__["_bot_applied"] = _Applied(events, loops, result)
        if check:
            expected = original(self)
            if len(expected) != len(result) or any(a is not b for a, b in zip(expected, result)):
                raise AssertionError(f"bot.rasa_patches: applied_events differ for {self.sender_id}")
        return list(result)

    applied_events.__wrapped__ = original  # type: ignore[attr-defined]
    DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]


def tracker_state(tracker: Any) -> dict:
    """Everything a replay of the events decides, for comparing two trackers (patch 9)."""
    import dataclasses

    return {"events": [id(e) for e in tracker.events], "maxlen": tracker.events.maxlen,
            "slots": {n: (type(s), s.value, s.has_been_set) for n, s in tracker.slots.items()},
            "paused": tracker._paused, "followup": tracker.followup_action, "latest_action": tracker.latest_action,
            "latest_message": _event_ref(tracker, tracker.latest_message),
            "latest_bot": _event_ref(tracker, tracker.latest_bot_utterance),
            "loop": dataclasses.astuple(tracker.active_loop) if tracker.active_loop else None,
            "ids": (tracker.sender_id, tracker.sender_source, tracker.model_id, tracker.assistant_id,
                    tracker.is_rule_tracker, tracker._max_event_history)}


def _among_events(tracker: Any, event: Any) -> bool:
    return any(e is event for e in reversed(tracker.events))


def _event_ref(tracker: Any, event: Any) -> Any:
    """One of the tracker's events (by position), or a placeholder (by content)."""
    if event is None or not _among_events(tracker, event):
        content = {k: v for k, v in event.as_dict().items() if k != "timestamp"} if event is not None else None
        return ("not an event", type(event), content)
    return next(i for i, e in enumerate(tracker.events) if e is event)


_UNKNOWN = object()


def replayed_followup(tracker: Any) -> Any:
    """The follow-up action a replay of the tracker's events ends with (patch 9). It is not the
    tracker's own: Rasa's processor clears that directly when it runs the follow-up
    (`tracker.clear_followup_action()`, rasa/core/processor.py), which no event records, so a
    replayed copy still has it until the action's ActionExecuted. The last event that sets it
    decides (the events' `apply_to`); after an undo, which replays the applied events, the
    answer is left to Rasa's copy (_UNKNOWN)."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
    from rasa.shared.core.events import (ActionExecuted, ActionReverted, FollowupAction, Restarted,
                                         SessionStarted, UserUttered, UserUtteranceReverted)

    for event in reversed(tracker.events):
        kind = type(event)
        if kind is UserUttered or kind is ActionExecuted:
            return None
        if kind is FollowupAction:
            return event.action_name
        if kind is Restarted:
            return ACTION_SESSION_START_NAME
        if kind is SessionStarted:
            return ACTION_LISTEN_NAME
        if isinstance(event, (UserUtteranceReverted, ActionReverted, UserUttered, ActionExecuted,
                              FollowupAction, Restarted, SessionStarted)):
            return _UNKNOWN  # an undo, or a subclass of the above that may apply itself otherwise
    return ACTION_LISTEN_NAME  # as `_reset` leaves it


def _tracker_copy_patch() -> None:
    import copy
    import dataclasses

    from rasa.shared.constants import DEFAULT_SENDER_ID
    from rasa.shared.core.events import StoryExported
    from rasa.shared.core.trackers import AnySlotDict, DialogueStateTracker

    original = DialogueStateTracker.copy
    check = os.environ.get("RASA_TRACKER_COPY_CHECK", "").strip() == "1"
    infinity = float("inf")

    def fast_copy(self: Any) -> Any:
        if type(self) is not DialogueStateTracker or isinstance(self.slots, AnySlotDict):
            return None
        for event in self.events:
            if not event.timestamp <= infinity or type(event) is StoryExported:
                return None  # the replay would stop here (NaN) / write the stories file again
        followup = replayed_followup(self)
        if followup is _UNKNOWN:
            return None
        new = DialogueStateTracker(self.sender_id or DEFAULT_SENDER_ID, (), self._max_event_history,
                                   is_rule_tracker=self.is_rule_tracker)  # as init_copy
        new.slots = {name: copy.copy(slot) for name, slot in self.slots.items()}
        new.events = new._create_events(list(self.events))
        new._paused = self._paused
        new.followup_action = followup
        new.latest_action = dict(self.latest_action) if self.latest_action is not None else None
        # the latest message and bot utterance are events of the tracker, or the empty ones that
        # `_reset` makes (a replay makes new ones: so does this)
        if self.latest_message is None or _among_events(self, self.latest_message):
            new.latest_message = self.latest_message
        if self.latest_bot_utterance is None or _among_events(self, self.latest_bot_utterance):
            new.latest_bot_utterance = self.latest_bot_utterance
        new.active_loop = dataclasses.replace(self.active_loop) if self.active_loop is not None else None
        return new

    def copy_tracker(self: Any) -> Any:
        new = fast_copy(self)
        if new is None:
            return original(self)
        if check:
            expected = original(self)
            got, want = tracker_state(new), tracker_state(expected)
            if got != want:
                differ = {k: (got[k], want[k]) for k in got if got[k] != want[k]}
                raise AssertionError(f"bot.rasa_patches: the copy of {self.sender_id} differs from Rasa's: {differ}")
        return new

    copy_tracker.__wrapped__ = original  # type: ignore[attr-defined]
    DialogueStateTracker.copy = copy_tracker  # type: ignore[method-assign]


def _form_tracker_patch() -> None:
    """Patch 10: a form's temporary tracker (`FormAction._temporary_tracker`, built twice per form
    step to validate and to ask: a replay of every event after the last restart) is made as a copy
    of the conversation (patch 9's copy: the state taken, not replayed) with the form's few events
    applied — when the conversation has no restart and keeps all its events, where both are the
    same; otherwise Rasa's own replay. `RASA_FORM_TRACKER_CHECK=1` builds Rasa's beside it and
    raises on any difference (the conversation tests and the scaled test run with it)."""
    from rasa.core.actions.forms import FormAction
    from rasa.shared.core.constants import REQUESTED_SLOT
    from rasa.shared.core.events import ActionExecuted, Restarted, SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    original = FormAction._temporary_tracker
    check = os.environ.get("RASA_FORM_TRACKER_CHECK", "").strip() == "1"

    def temporary_tracker(self: Any, current_tracker: Any, additional_events: list, domain: Any) -> Any:
        if (type(current_tracker) is not DialogueStateTracker or current_tracker._max_event_history is not None
                or any(type(e) is Restarted for e in current_tracker.events)):
            return original(self, current_tracker, additional_events, domain)
        new = current_tracker.copy()
        for event in [SlotSet(REQUESTED_SLOT, self.get_slot_to_fill(current_tracker)),
                      ActionExecuted(self.name()), *additional_events]:
            new.update(event)
        if check:
            expected = original(self, current_tracker, additional_events, domain)
            got, want = tracker_state(new), tracker_state(expected)
            # the two added events are made anew by each: compared by content, not identity
            got["events"], want["events"] = _event_contents(new), _event_contents(expected)
            if got != want:
                differ = {k: (got[k], want[k]) for k in got if got[k] != want[k]}
                raise AssertionError(f"bot.rasa_patches: the form's tracker for {current_tracker.sender_id} "
                                     f"differs from Rasa's: {differ}")
        return new

    temporary_tracker.__wrapped__ = original  # type: ignore[attr-defined]
    FormAction._temporary_tracker = temporary_tracker  # type: ignore[method-assign]


def _event_contents(tracker: Any) -> list:
    return [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in tracker.events]


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
        _past_states_patch()
        _freeze_after_load_patch()
        if os.environ.get("RASA_TED_SKIP", "1").strip() != "0":  # 0: patch 6 alone off, to compare
            _ted_skip_patch()
        if os.environ.get("ACTIONS_KEEP_CONNECTION", "1").strip() != "0":  # 0: patch 7 alone off
            _action_session_patch()
        if os.environ.get("RASA_APPLIED_EVENTS_KEEP", "1").strip() != "0":  # 0: patch 8 alone off
            _applied_events_patch()
        if os.environ.get("RASA_TRACKER_COPY_FAST", "1").strip() != "0":  # 0: patch 9 alone off
            _tracker_copy_patch()
        if os.environ.get("RASA_FORM_TRACKER_FAST", "1").strip() != "0":  # 0: patch 10 alone off
            _form_tracker_patch()
        _applied = True
    return True
