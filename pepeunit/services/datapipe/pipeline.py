"""One node's pipe applied to one message, as pure functions (no database, no clock, no I/O).

``run(config, payload, state, now)`` follows v1.2's steps (spec §4.2-4.5): active period, then the
filters in v1.2's order (list, threshold, max_rate, max_size, last_unique_check), the
transformations, and what the policy needs. It returns a ``Decision``: the value to store, or the
reason the message is dropped. The caller keeps ``state`` (``NodeState``) and updates it only for
accepted messages.

Where we differ from v1.2 on purpose (docs/datapipe.md, ## Pipeline):
- Q3: a Number pipe drops a payload that is not a number, whatever the policy;
- Q4: last_unique_check compares the transformed value with the previous transformed value;
- Q5: thresholds apply to Number pipes only (a Text config's thresholds are ignored);
- Q10: max_size counts UTF-8 bytes; Text slices count characters, so they never split one.

Numbers follow Go's ``strconv.ParseFloat`` (``parse_number``) and Go's ``%.nf`` formatting.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ...models.enums import (
    ActivePeriodType,
    ProcessingPolicyType,
    TypeInputValue,
    TypeValueFiltering,
    TypeValueThreshold,
)
from .pipe_config import TIME_WINDOW_SIZES, Filters, PipeConfig, Transformations
from .storage import NodeState

# Why a message was dropped (the consumer counts each reason).
INACTIVE = "inactive"
NOT_A_NUMBER = "not_a_number"
LIST = "list"
THRESHOLD = "threshold"
MAX_RATE = "max_rate"
MAX_SIZE = "max_size"
NOT_UNIQUE = "not_unique"
REASONS = (INACTIVE, NOT_A_NUMBER, LIST, THRESHOLD, MAX_RATE, MAX_SIZE, NOT_UNIQUE)

EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Decision:
    value: str | None = None  # what the policy stores; None when dropped
    number: float | None = None  # the value as a number (Aggregation pipes)
    dropped: str | None = None  # one of REASONS


# -- numbers (Go strconv.ParseFloat, bitSize 64) ----------------------------------------------------

_DIGITS = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_SPECIAL = {"inf": math.inf, "infinity": math.inf}


def parse_number(text: str) -> float | None:
    """The float64 Go's ``strconv.ParseFloat(text, 64)`` returns, or None where it fails.

    No trimming; ``.`` only; optional sign; ``e`` exponent (``p`` and mandatory for ``0x`` hex
    mantissas); ``_`` only between digits; ``inf``/``infinity`` (signed) and ``nan`` (unsigned),
    case-insensitive; an out-of-range value (Go's ErrRange, ±Inf) is not a number.
    """
    if not text or not text.isascii():
        return None
    special = _special(text)
    if special is not None:
        return special
    is_hex = _scan(text)
    if is_hex is None:
        return None
    digits = text.replace("_", "")
    try:
        value = float.fromhex(digits) if is_hex else float(digits)
    except (ValueError, OverflowError):
        return None
    return None if math.isinf(value) else value


def _special(text: str) -> float | None:
    lowered = text.lower()
    if lowered == "nan":
        return math.nan
    sign = 1.0
    if lowered[0] in "+-":
        sign, lowered = (-1.0 if lowered[0] == "-" else 1.0), lowered[1:]
    value = _SPECIAL.get(lowered)
    return None if value is None else sign * value


def _scan(s: str) -> bool | None:
    """Go's ``readFloat`` consuming all of ``s``: True (hex), False (decimal), or None (syntax error)."""
    i, n = 0, len(s)
    if s[0] in "+-":
        i = 1
    is_hex = i + 2 < n and s[i] == "0" and s[i + 1] in "xX"
    if is_hex:
        i += 2
    digits = _HEX_DIGITS if is_hex else _DIGITS
    saw_dot = saw_digits = False
    while i < n:
        c = s[i]
        if c == "_":
            pass
        elif c == ".":
            if saw_dot:
                break
            saw_dot = True
        elif c in digits:
            saw_digits = True
        else:
            break
        i += 1
    if not saw_digits:
        return None
    if i < n and s[i] in ("pP" if is_hex else "eE"):
        i += 1
        if i < n and s[i] in "+-":
            i += 1
        if i >= n or s[i] not in _DIGITS:
            return None
        while i < n and (s[i] in _DIGITS or s[i] == "_"):
            i += 1
    elif is_hex:
        return None  # a hex mantissa needs its p exponent
    if i != n or ("_" in s and not _underscores_ok(s)):
        return None
    return is_hex


def _underscores_ok(s: str) -> bool:
    """Go's ``underscoreOK``: each ``_`` between digits (a base prefix counts as a digit)."""
    if s[0] in "+-":
        s = s[1:]
    saw, i, is_hex = "^", 0, False
    if len(s) >= 2 and s[0] == "0" and s[1] in "bBoOxX":
        saw, i, is_hex = "0", 2, s[1] in "xX"
    for c in s[i:]:
        if c in _DIGITS or (is_hex and c in _HEX_DIGITS):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def format_fixed(value: float, decimals: int) -> str:
    """Go's ``fmt.Sprintf("%.<decimals>f", value)``: the exact binary value, halves to even."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return format(value, f".{decimals}f")


# -- the steps ---------------------------------------------------------------------------------

def is_active(config: PipeConfig, now: datetime) -> bool:
    """Strict comparisons; ``now`` is naive UTC. A missing bound means inactive."""
    period = config.active_period
    start, end = _naive(period.start), _naive(period.end)
    if period.type is ActivePeriodType.PERMANENT:
        return True
    if period.type is ActivePeriodType.FROM_DATE:
        return start is not None and now > start
    if period.type is ActivePeriodType.TO_DATE:
        return end is not None and now < end
    if period.type is ActivePeriodType.DATE_RANGE:
        return start is not None and end is not None and start < now < end
    return False


def _naive(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def in_list(filters: Filters, payload: str, number: float | None) -> bool:
    for item in filters.filtering_values or ():
        if filters.type_input_value is TypeInputValue.TEXT:
            if isinstance(item, str) and item == payload:
                return True
        elif number is not None and isinstance(item, (int, float)) and not isinstance(item, bool):
            if float(item) == number:
                return True
    return False


def passes_list(filters: Filters, payload: str, number: float | None) -> bool:
    if filters.type_value_filtering is None:
        return True
    listed = in_list(filters, payload, number)
    return listed if filters.type_value_filtering is TypeValueFiltering.WHITE_LIST else not listed


def passes_threshold(filters: Filters, number: float | None) -> bool:
    """Number pipes only (Q5); both bounds inclusive; a null bound is skipped."""
    kind = filters.type_value_threshold
    if kind is None or filters.type_input_value is not TypeInputValue.NUMBER or number is None:
        return True
    low = filters.threshold_min if kind in (TypeValueThreshold.MIN, TypeValueThreshold.RANGE) else None
    high = filters.threshold_max if kind in (TypeValueThreshold.MAX, TypeValueThreshold.RANGE) else None
    return not ((low is not None and number < low) or (high is not None and number > high))


def passes_rate(filters: Filters, state: NodeState, now: datetime) -> bool:
    last = state.last_message_datetime
    return filters.max_rate <= 0 or last is None or now - last >= timedelta(seconds=filters.max_rate)


def passes_size(filters: Filters, payload: str) -> bool:
    """Bytes of the UTF-8 payload (Q10), as the MQTT door and the stored ``size`` count them."""
    return filters.max_size <= 0 or len(payload.encode("utf-8")) <= filters.max_size


def transform(config: PipeConfig, payload: str) -> str:
    """v1.2's transformations; they never fail (a value they cannot handle passes unchanged)."""
    steps = config.transformations
    if steps is None:
        return payload
    if config.filters.type_input_value is TypeInputValue.NUMBER:
        return _transform_number(steps, payload)
    return slice_text(payload, steps.slice_start, steps.slice_end)


def _transform_number(steps: Transformations, payload: str) -> str:
    value = payload
    if steps.multiplication_ratio is not None:
        number = parse_number(value)
        if number is None:
            return value
        value = format_fixed(number * steps.multiplication_ratio, 6)
    if steps.round_decimal_point is not None:
        number = parse_number(value)
        if number is not None:
            value = format_fixed(number, steps.round_decimal_point)
    return value


def slice_text(text: str, start: int | None, end: int | None) -> str:
    """Python slice semantics on characters (Q10: never splits a UTF-8 sequence)."""
    return text[start:end]


def run(config: PipeConfig, payload: str, state: NodeState, now: datetime) -> Decision:
    """The value ``config``'s policy stores for ``payload`` received at ``now``, or why it is dropped."""
    if not is_active(config, now):
        return Decision(dropped=INACTIVE)
    filters = config.filters
    number = None
    if filters.type_input_value is TypeInputValue.NUMBER:
        number = parse_number(payload)
        if number is None:
            return Decision(dropped=NOT_A_NUMBER)  # Q3
    if not passes_list(filters, payload, number):
        return Decision(dropped=LIST)
    if not passes_threshold(filters, number):
        return Decision(dropped=THRESHOLD)
    if not passes_rate(filters, state, now):
        return Decision(dropped=MAX_RATE)
    if not passes_size(filters, payload):
        return Decision(dropped=MAX_SIZE)
    value = transform(config, payload)
    if filters.last_unique_check and value == state.last_value:
        return Decision(dropped=NOT_UNIQUE)  # Q4: transformed against the previous transformed value
    if config.processing_policy.policy_type is ProcessingPolicyType.AGGREGATION:
        number = parse_number(value)
        if number is None:
            return Decision(dropped=NOT_A_NUMBER)
        return Decision(value=value, number=number)
    return Decision(value=value)


def cannot_run(config: PipeConfig) -> str | None:
    """Why a parsed config cannot store anything (a policy field it needs is missing), or None."""
    policy = config.processing_policy
    kind = policy.policy_type
    if kind is ProcessingPolicyType.N_RECORDS and not (isinstance(policy.n_records_count, int)
                                                       and policy.n_records_count > 0):
        return "n_records_count is required for N_RECORDS"
    if kind in (ProcessingPolicyType.TIME_WINDOW, ProcessingPolicyType.AGGREGATION) and \
            policy.time_window_size not in TIME_WINDOW_SIZES:
        return "time_window_size is required"
    if kind is ProcessingPolicyType.AGGREGATION and policy.aggregation_functions is None:
        return "aggregation_functions is required for AGGREGATION"
    return None


def window_start(now: datetime, size: int) -> datetime:
    """The UTC-aligned window of ``size`` seconds holding ``now`` (a boundary opens the next one)."""
    seconds = (now - EPOCH) // timedelta(seconds=1)
    return EPOCH + timedelta(seconds=seconds - seconds % size)
