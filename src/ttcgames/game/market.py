"""The market of a test-time compute game (Section 2 of the paper).

A market is N providers, each with its own increasing list of compute levels theta. At every level a
provider has an average quality q, a price p and a cost c (all in dollars per query). From them:

- user value      V = q - p                       (Eq. 3)
- profit          p - c                           (the factor of Eq. 4)
- contribution    W_i = q - c                     (the summand of Eq. 5)

Built from measurements (docs/paper-notes.md, "Market"):

- p(theta) = tokens(theta) x price_per_million / 1e6,
- c(theta) = p(theta) / (1 + margin),
- q(theta) = alpha x (baseline + (1 - baseline) x accuracy(theta)), accuracy in [0, 1].

Values closer than the tie tolerance are made exactly equal when the market is built
(:data:`ttcgames.game.shares.TIE_RTOL`, :func:`ttcgames.game.shares.snap_ties`): ``value`` is q - p up to that
tolerance, and equal values mean tied values everywhere in the engine.

Providers may have different numbers of levels. The per-level arrays are stored padded to the largest
number of levels ``K``; padding is NaN and ``mask`` marks the real entries.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ttcgames.game.shares import TIE_RTOL, check_beta_scale, snap_ties

__all__ = [
    "MarketError",
    "Market",
    "check_market_parameters",
    "market_from_rows",
    "read_market_csv",
    "REQUIRED_COLUMNS",
]

REQUIRED_COLUMNS = ("provider", "theta", "accuracy", "tokens", "price_per_million")

# The largest sum of money amounts (over the providers and V0) the engine accepts: welfare, shares
# and outcomes add amounts over providers, and a sum beyond the largest double would be inf.
MAX_MONEY = 1e300


class MarketError(ValueError):
    """Invalid market input; the message names the file, row or column at fault."""


def _pad(rows: Sequence[np.ndarray], width: int) -> np.ndarray:
    out = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


@dataclass(frozen=True, eq=False)
class Market:
    """Providers' quality, price and cost per compute level, plus the abstention value V0.

    Arrays ``quality``, ``price`` and ``cost`` have shape (N, K) with NaN padding beyond each
    provider's ``n_levels``. Levels are indexed 0..n_levels-1 in increasing theta.
    """

    providers: tuple[str, ...]
    thetas: tuple[np.ndarray, ...]
    quality: np.ndarray
    price: np.ndarray
    cost: np.ndarray
    v0: float = 0.0
    n_levels: np.ndarray = field(init=False)
    mask: np.ndarray = field(init=False)
    _value: np.ndarray = field(init=False, repr=False)
    max_abs_value: float = field(init=False, repr=False)
    money_scale: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.providers)
        if n == 0:
            raise MarketError("a market needs at least one provider")
        if len(set(self.providers)) != n:
            raise MarketError(f"provider names must be unique, got {list(self.providers)}")
        if len(self.thetas) != n:
            raise MarketError("one theta array per provider is required")
        for name in ("quality", "price", "cost"):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.ndim != 2 or arr.shape[0] != n:
                raise MarketError(f"{name} must have shape (N, K) with N={n}, got {arr.shape}")
            arr = arr.copy()
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        k = self.quality.shape[1]
        if self.price.shape != (n, k) or self.cost.shape != (n, k):
            raise MarketError("quality, price and cost must have the same shape")
        n_levels = np.array([len(t) for t in self.thetas], dtype=np.int64)
        if (n_levels < 1).any():
            bad = self.providers[int(np.argmin(n_levels))]
            raise MarketError(f"provider {bad!r} has no compute levels")
        if n_levels.max() != k:
            raise MarketError("array width must equal the largest number of levels")
        mask = np.arange(k)[None, :] < n_levels[:, None]
        for name in ("quality", "price", "cost"):
            arr = getattr(self, name)
            if not np.isfinite(arr[mask]).all():
                raise MarketError(f"{name} has non-finite entries")
        if not math.isfinite(self.v0):
            raise MarketError(f"v0 must be finite, got {self.v0}")
        # the largest amount of money in the market: |q|, |p|, |c| or |V0|
        largest = max(max(float(np.abs(getattr(self, name)[mask]).max()) for name in ("quality", "price", "cost")), abs(self.v0))
        object.__setattr__(self, "money_scale", largest)
        if largest * (len(self.providers) + 1) > MAX_MONEY:
            raise MarketError(
                f"money amounts up to {largest:.3g} are too large: the engine adds them over {len(self.providers)} "
                f"providers and V0, and the sums must stay below {MAX_MONEY:g}; measure money in larger units"
            )
        n_levels.setflags(write=False)
        mask.setflags(write=False)
        object.__setattr__(self, "n_levels", n_levels)
        object.__setattr__(self, "mask", mask)
        # User values with ties (within TIE_RTOL of the market's scale) made exact, once, here.
        value = self.quality - self.price
        scale = max(float(np.abs(self.quality[mask]).max()), float(np.abs(self.price[mask]).max()), abs(self.v0))  # V = q - p: no cost
        value[mask] = snap_ties(value[mask], self.v0, TIE_RTOL * scale)
        value.setflags(write=False)
        object.__setattr__(self, "_value", value)
        # the largest |V| (V0 included): finite betas must keep beta x this below shares.MAX_LOG_WEIGHT
        object.__setattr__(self, "max_abs_value", max(float(np.abs(value[mask]).max()), abs(self.v0)))
        object.__setattr__(
            self, "thetas", tuple(np.asarray(t, dtype=float) for t in self.thetas)
        )

    @classmethod
    def from_measurements(
        cls,
        providers: Sequence[str],
        thetas: Sequence[Sequence[float]],
        accuracy: Sequence[Sequence[float]],
        tokens: Sequence[Sequence[float]],
        price_per_million: Sequence[float | Sequence[float]],
        *,
        alpha: float,
        baseline: float = 0.1,
        margin: float = 0.25,
        v0: float = 0.0,
    ) -> Market:
        """The market of Section 2 from measured curves (module docstring; docs/paper-notes.md, "Market"):
        per provider its thetas (increasing), accuracy in [0, 1] and mean tokens per query at each,
        and its price per million tokens (one number, or one per theta). Then

        - p(theta) = tokens(theta) x price_per_million / 1e6,
        - c(theta) = p(theta) / (1 + margin),
        - q(theta) = alpha x (baseline + (1 - baseline) x accuracy(theta)).

        The market stage (:func:`market_from_rows`) and the paired bootstrap
        (``ttcgames.uncertainty.paired``) both build their markets here."""
        check_market_parameters(alpha=alpha, baseline=baseline, margin=margin, v0=v0)
        qs, ps = [], []
        for acc, tok, ppm in zip(accuracy, tokens, price_per_million):
            qs.append(alpha * (baseline + (1.0 - baseline) * np.asarray(acc, dtype=float)))
            ps.append(np.asarray(tok, dtype=float) * np.asarray(ppm, dtype=float) / 1e6)
        thetas = tuple(np.asarray(t, dtype=float) for t in thetas)
        width = max((len(t) for t in thetas), default=0)
        price = _pad(ps, width)
        return cls(providers=tuple(providers), thetas=thetas, quality=_pad(qs, width), price=price,
                   cost=price / (1.0 + margin), v0=float(v0))

    def check_beta(self, beta: float) -> None:
        """Refuse beta <= 0, NaN, and a finite beta with beta x |V| (V0 included) above
        ``shares.MAX_LOG_WEIGHT`` (:func:`ttcgames.game.shares.check_beta_scale` on this market's values,
        whose largest magnitude is kept from construction)."""
        check_beta_scale(beta, np.array([self.max_abs_value]))

    # Derived quantities (Eq. 3, 4, 5). Padding stays NaN.
    @property
    def n_providers(self) -> int:
        return len(self.providers)

    @property
    def max_levels(self) -> int:
        return int(self.quality.shape[1])

    @property
    def value(self) -> np.ndarray:
        """User value V_i(theta) = q - p (Eq. 3), with near ties made exact (module docstring)."""
        return self._value

    @property
    def profit(self) -> np.ndarray:
        """Provider profit per served query p - c (Eq. 4)."""
        return self.price - self.cost

    @property
    def contribution(self) -> np.ndarray:
        """Welfare contribution W_i(theta) = q - c (Eq. 5)."""
        return self.quality - self.cost

    @property
    def n_profiles(self) -> int:
        return int(np.prod(self.n_levels.astype(object)))

    def theta_of(self, profile: Sequence[int]) -> dict[str, float]:
        """Map a profile of level indices to {provider: theta}."""
        return {p: _plain(self.thetas[i][int(k)]) for i, (p, k) in enumerate(zip(self.providers, profile))}

    def theta_of_level(self, i: int, level: int) -> float | int:
        return _plain(self.thetas[i][int(level)])

    def check_profile(self, profile: Sequence[int]) -> np.ndarray:
        prof = np.asarray(profile, dtype=np.int64)
        if prof.shape != (self.n_providers,):
            raise ValueError(f"a profile has one level per provider ({self.n_providers}), got {prof.shape}")
        if (prof < 0).any() or (prof >= self.n_levels).any():
            raise ValueError(f"profile {prof.tolist()} is outside the levels {self.n_levels.tolist()}")
        return prof


def _plain(x: float) -> float | int:
    """Thetas are usually integers (samples); keep them as ints in JSON when they are."""
    x = float(x)
    return int(x) if x.is_integer() else x


def _number(raw: object, *, where: str, column: str) -> float:
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MarketError(f"{where}: column {column!r} is not a number: {raw!r}") from None
    if math.isnan(value):
        raise MarketError(f"{where}: column {column!r} is NaN")
    if math.isinf(value):
        raise MarketError(f"{where}: column {column!r} is infinite")
    return value


def check_market_parameters(*, alpha: float, baseline: float, margin: float, v0: float) -> None:
    """Refuse market parameters outside their meaning: alpha > 0 (dollar worth of 100% accuracy),
    baseline in [0, 1), margin > 0 (providers earn p - c), all finite."""
    for name, val in (("alpha", alpha), ("baseline", baseline), ("margin", margin), ("v0", v0)):
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val):
            raise MarketError(f"{name} must be a finite number, got {val!r}")
    if alpha <= 0:
        raise MarketError(f"alpha must be positive, got {alpha}")
    if not 0.0 <= baseline < 1.0:
        raise MarketError(f"baseline must lie in [0, 1), got {baseline}")
    if margin <= 0:
        raise MarketError(f"margin must be positive (providers earn p - c = p * margin / (1 + margin)), got {margin}")


def _measurement(row: Mapping[str, object], where: str) -> tuple[str, float, float, float, float]:
    """One row's (provider, theta, accuracy, tokens, price_per_million), each checked."""
    provider = str(row["provider"]).strip()
    if not provider:
        raise MarketError(f"{where}: column 'provider' is empty")
    theta = _number(row["theta"], where=where, column="theta")
    acc = _number(row["accuracy"], where=where, column="accuracy")
    tokens = _number(row["tokens"], where=where, column="tokens")
    ppm = _number(row["price_per_million"], where=where, column="price_per_million")
    if not 0.0 <= acc <= 1.0:
        raise MarketError(f"{where}: accuracy {acc} is outside [0, 1] (use a fraction, not a percentage)")
    if tokens < 0:
        raise MarketError(f"{where}: tokens {tokens} is negative")
    if ppm < 0:
        raise MarketError(f"{where}: price_per_million {ppm} is negative")
    if not math.isfinite(tokens * ppm / 1e6):
        raise MarketError(f"{where}: the price tokens x price_per_million / 1e6 = {tokens:g} x {ppm:g} / 1e6 "
                          "is beyond the largest number")
    return provider, theta, acc, tokens, ppm


def _levels_by_provider(
    rows: Iterable[Mapping[str, object]], source: str, lines: Sequence[int] | None
) -> dict[str, list[tuple[float, float, float, float, int]]]:
    """Each provider's checked (theta, accuracy, tokens, price_per_million, line), providers in order of
    first appearance; a missing column, an empty file or a repeated (provider, theta) is refused."""
    per_provider: dict[str, list[tuple[float, float, float, float, int]]] = {}
    seen: dict[tuple[str, float], int] = {}
    for idx, row in enumerate(rows):
        line = lines[idx] if lines is not None else idx + 2
        missing = [c for c in REQUIRED_COLUMNS if c not in row]
        if missing:
            raise MarketError(f"{source}: missing column(s) {missing}; required: {list(REQUIRED_COLUMNS)}")
        where = f"{source}, line {line}"
        provider, theta, acc, tokens, ppm = _measurement(row, where)
        if (provider, theta) in seen:
            raise MarketError(
                f"{where}: duplicate (provider, theta) = ({provider!r}, {theta:g}), first seen on line {seen[(provider, theta)]}"
            )
        seen[(provider, theta)] = line
        per_provider.setdefault(provider, []).append((theta, acc, tokens, ppm, line))
    if not seen:
        raise MarketError(f"{source}: no rows")
    return per_provider


def market_from_rows(
    rows: Iterable[Mapping[str, object]],
    *,
    alpha: float,
    baseline: float = 0.1,
    margin: float = 0.25,
    v0: float = 0.0,
    source: str = "market",
    lines: Sequence[int] | None = None,
) -> Market:
    """Build a :class:`Market` (:meth:`Market.from_measurements`) from tidy rows with columns
    ``provider, theta, accuracy, tokens, price_per_million`` (extra columns are ignored).

    Provider order is the order of first appearance; each provider's levels are its thetas sorted
    increasingly. Errors name ``source`` and the row's line (``lines`` gives each row's line number, else rows are numbered from 2 as in a CSV with a
    header).
    """
    check_market_parameters(alpha=alpha, baseline=baseline, margin=margin, v0=v0)
    per_provider = _levels_by_provider(rows, source, lines)
    levels = [sorted(per_provider[name]) for name in per_provider]
    column = lambda k: [np.array([lv[k] for lv in provider]) for provider in levels]  # noqa: E731
    try:
        return Market.from_measurements(
            tuple(per_provider), column(0), column(1), column(2), column(3), alpha=alpha, baseline=baseline, margin=margin, v0=v0
        )
    except MarketError as exc:
        raise MarketError(f"{source}: {exc}") from None


def read_market_csv(
    path: str | Path,
    *,
    alpha: float,
    baseline: float = 0.1,
    margin: float = 0.25,
    v0: float = 0.0,
) -> Market:
    """Read a market CSV (header row, columns as in :func:`market_from_rows`).

    The file must be UTF-8 (a byte-order mark is accepted and dropped); a column named twice in the
    header, a row with more or fewer fields than the header and malformed CSV are refused with the
    file and line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MarketError(f"{path}: cannot open market file ({exc.strerror or exc})") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MarketError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the market as UTF-8"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fieldnames = reader.fieldnames
        if fieldnames is None:
            raise MarketError(f"{path}: empty file, expected a header with {list(REQUIRED_COLUMNS)}")
        header = [h.strip() for h in fieldnames]
        first: dict[str, int] = {}
        for col, name in enumerate(header, start=1):
            if name and name in first:
                raise MarketError(f"{path}, line 1: column {name!r} appears twice in the header "
                                  f"(fields {first[name]} and {col})")
            first.setdefault(name, col)
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise MarketError(f"{path}: missing column(s) {missing}; found {header}")
        reader.fieldnames = header
        rows, lines = [], []
        for row in reader:
            if None in row:
                raise MarketError(f"{path}, line {reader.line_num}: more fields than the header has")
            if any(v is None for v in row.values()):
                raise MarketError(f"{path}, line {reader.line_num}: fewer fields than the header has")
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise MarketError(f"{path}, line {reader.line_num}: malformed CSV ({exc})") from None
    return market_from_rows(
        rows, alpha=alpha, baseline=baseline, margin=margin, v0=v0, source=str(path), lines=lines
    )
