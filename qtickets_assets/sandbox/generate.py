"""Deterministic world generation from (size, seed, anchor).

Every random draw comes from one `random.Random` seeded by size and seed, and every time is an
offset from the anchor, so the same inputs give the same world and the same bytes on the wire.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from qtickets_assets.sandbox.catalog import (
    BASE_PRICES,
    CITIES,
    CONCERTS,
    EXHIBITIONS,
    FIRST_NAMES,
    LATIN,
    SURNAMES,
    make_venues,
)
from qtickets_assets.sandbox.generate_orders import generate_orders
from qtickets_assets.sandbox.model import Client, Discount, Event, PromoCode, Show, World

DAY = 86400


@dataclass(frozen=True, slots=True)
class SizeSpec:
    events: int
    shows: int
    orders: int
    clients: int
    discounts: int
    promo_codes: int


SIZES: dict[str, SizeSpec] = {
    "small": SizeSpec(25, 60, 1_500, 1_000, 6, 40),
    "medium": SizeSpec(120, 400, 20_000, 12_000, 20, 200),
    "large": SizeSpec(250, 1_200, 120_000, 60_000, 65, 490),
}


def default_anchor() -> int:
    """Now, truncated to the minute."""
    return int(time.time()) // 60 * 60


def generate_world(size: str = "small", seed: int = 1, anchor: int | None = None) -> World:
    if size not in SIZES:
        raise ValueError(f"unknown sandbox size {size!r}; choose one of {sorted(SIZES)}")
    spec = SIZES[size]
    anchor = default_anchor() if anchor is None else int(anchor)
    rng = random.Random(f"qtickets-sandbox:{size}:{seed}")
    events = make_events(rng, spec, anchor)
    clients = make_clients(rng, spec.clients)
    discounts = make_discounts(rng, spec.discounts, events, anchor)
    promo_codes = make_promo_codes(rng, spec.promo_codes, discounts, anchor)
    world = World(size, seed, anchor, anchor, events, [], clients, discounts, promo_codes)
    world.orders = generate_orders(rng, world, spec.orders)
    world.reindex()
    return world


def local_time(tz: ZoneInfo, anchor: int, day_offset: int, hour: int) -> int:
    day = datetime.fromtimestamp(anchor, tz).date() + timedelta(days=day_offset)
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=tz).timestamp())


def show_counts(rng: random.Random, spec: SizeSpec) -> list[int]:
    """Shows per event: event 0 has none at all, every other event at least one."""
    counts = [0] + [1] * (spec.events - 1)
    for _ in range(spec.shows - (spec.events - 1)):
        counts[rng.randrange(1, spec.events)] += 1
    return counts


def make_events(rng: random.Random, spec: SizeSpec, anchor: int) -> list[Event]:
    venues = make_venues(rng)
    events: list[Event] = []
    event_id, show_id, price_id = 24000, 152000, 541000
    for index, n_shows in enumerate(show_counts(rng, spec)):
        event_id += rng.randint(1, 40)
        city = CITIES[index % len(CITIES)] if index < len(CITIES) else rng.choice(CITIES)
        exhibition = rng.random() < 0.6
        name, slug = rng.choice(EXHIBITIONS if exhibition else CONCERTS)
        venue = venues[city.id][0 if exhibition else 1]
        tz = ZoneInfo(city.timezone)
        first_day = rng.randint(-120, 60)
        base = rng.choice(BASE_PRICES)
        shows: list[Show] = []
        day = first_day
        for _ in range(n_shows):
            show_id += rng.randint(1, 9)
            start = local_time(tz, anchor, day, rng.randint(10, 19))
            day += rng.randint(1, 6)
            zone_prices = {z.zone_id: base * (100 - 15 * k) // 100 for k, z in enumerate(venue.layout.zones)}
            price_ids = {}
            for zone in venue.layout.zones:
                price_id += 1
                price_ids[zone.zone_id] = price_id
            hours = 8 if exhibition else rng.randint(2, 3)
            shows.append(
                Show(
                    show_id,
                    event_id,
                    start,
                    start + hours * 3600,
                    int(start > anchor),
                    0,
                    0,
                    None,
                    zone_prices,
                    price_ids,
                )
            )
        first_start = min((s.start for s in shows), default=anchor)
        created = min(first_start, anchor) - rng.randint(15, 90) * DAY
        deleted = rng.randint(created, anchor) if index > 0 and rng.random() < 0.08 else None
        for show in shows:
            show.created_at = created
            show.updated_at = rng.randint(created, anchor)
            if rng.random() < 0.05 or index == 1:  # event 1: every show deleted, so no live show
                show.deleted_at = show.updated_at
        updated = deleted if deleted is not None else rng.randint(created, anchor)
        is_active = int((deleted is None and any(s.start > anchor for s in shows)) or rng.random() < 0.2)
        events.append(
            Event(
                event_id,
                name,
                slug,
                city,
                venue,
                11 if exhibition else 3,
                "0+" if exhibition else "12+",
                is_active,
                created,
                updated,
                deleted,
                shows,
            )
        )
    return events


def make_clients(rng: random.Random, n: int) -> list[Client]:
    clients = []
    for i in range(n):
        k = rng.randrange(len(FIRST_NAMES))
        surname = rng.choice(SURNAMES) + ("а" if k in (0, 2, 4, 6, 8) else "")
        email = f"{LATIN[k]}.{i}@example.org"
        phone = f"+7999{rng.randint(0, 9_999_999):07d}"
        middlename = None if rng.random() < 0.5 else "Сергеевич"
        clients.append(Client(1265 + 7 * i, 8_480_800 + i, email, FIRST_NAMES[k], surname, middlename, phone))
    return clients


def active_window(
    rng: random.Random, created: int, anchor: int, dated: bool = False
) -> tuple[int | None, int | None]:
    """Most offers run open-ended; some start on a date, and some of those end on one (past or future).

    `dated`: always both dates, so that every world has such an offer."""
    r = 0.9 if dated else rng.random()
    if r < 0.55:
        return None, None
    start = rng.randint(created, anchor)
    if r < 0.8:
        return start, None
    return start, start + rng.randint(14, 120) * DAY


def make_discounts(rng: random.Random, n: int, events: list[Event], anchor: int) -> list[Discount]:
    discounts = []
    for i in range(n):
        chosen = rng.sample(events, k=min(len(events), rng.randint(1, 3)))
        percent = rng.choice((10, 15, 20, 30))
        created = rng.randint(anchor - 300 * DAY, anchor - DAY)
        # The last discount is always deleted, so that every world has one.
        deleted = rng.randint(created, anchor) if rng.random() < 0.1 or i == n - 1 else None
        active_from, active_to = active_window(rng, created, anchor, dated=i == 1)
        discounts.append(
            Discount(
                6861 + 13 * i,
                f"Скидка {percent}% - {chosen[0].name}",
                percent,
                tuple(e.id for e in chosen),
                int(deleted is None),
                created,
                deleted,
                active_from,
                active_to,
            )
        )
    return discounts


PROMO_WORDS = ("АНГАРСК", "ОСЕНЬ", "ДЕТИ", "SALE", "VK")


def promo_text(rng: random.Random, discount: Discount, first: bool, taken: set[str]) -> str:
    """A discount's first code reads "promo15"; others a word and a number. Codes never repeat."""
    code = f"promo{discount.percent}" if first else ""
    while not code or code in taken:
        code = f"{rng.choice(PROMO_WORDS)}{rng.randint(10, 999)}"
    taken.add(code)
    return code


def make_promo_codes(rng: random.Random, n: int, discounts: list[Discount], anchor: int) -> list[PromoCode]:
    """Codes of every discount in turn; a deleted discount's codes are deleted with it, a few on their own."""
    codes: list[PromoCode] = []
    taken: set[str] = set()
    for i in range(n):
        discount = discounts[i % len(discounts)]
        code = promo_text(rng, discount, i < len(discounts), taken)
        created = rng.randint(discount.created_at, discount.deleted_at or anchor - DAY)
        deleted = discount.deleted_at
        if deleted is None and rng.random() < 0.08:
            deleted = rng.randint(created, anchor)
        active_from, active_to = active_window(rng, created, anchor)
        codes.append(
            PromoCode(
                244529 + i,
                discount.id,
                code,
                rng.choice((0, 0, 0, 10, 100)),
                int(deleted is None),
                created,
                deleted,
                active_from,
                active_to,
            )
        )
    return codes
