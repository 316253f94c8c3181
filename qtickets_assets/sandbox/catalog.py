"""Fixed reference data: cities with real IANA zones, venues and their halls, names.

Layouts are built once per venue and shared by its shows, which keeps a large world cheap.
"""

from __future__ import annotations

import random

from qtickets_assets.sandbox.model import City, Layout, SeatSpec, Site, Tariff, Venue, ZoneSpec

# Томск carries Asia/Krasnoyarsk as in the real capture (same offset as Asia/Tomsk); the rest vary
# from UTC+2 to UTC+10 so that "today" differs between cities.
CITIES: tuple[City, ...] = (
    City(24, "Томск", "Asia/Krasnoyarsk", "tomsk", (56.4847, 84.9482)),
    City(31, "Барнаул", "Asia/Barnaul", "barnaul", (53.3481, 83.7798)),
    City(57, "Прокопьевск", "Asia/Novokuznetsk", "prokopevsk", (53.8864, 86.7439)),
    City(12, "Новосибирск", "Asia/Novosibirsk", "novosibirsk", (55.0084, 82.9357)),
    City(19, "Красноярск", "Asia/Krasnoyarsk", "krasnoyarsk", (56.0153, 92.8932)),
    City(7, "Екатеринбург", "Asia/Yekaterinburg", "ekaterinburg", (56.8389, 60.6057)),
    City(44, "Иркутск", "Asia/Irkutsk", "irkutsk", (52.2870, 104.3050)),
    City(68, "Владивосток", "Asia/Vladivostok", "vladivostok", (43.1198, 131.8869)),
    City(73, "Калининград", "Europe/Kaliningrad", "kaliningrad", (54.7104, 20.4522)),
    City(1, "Москва", "Europe/Moscow", "msk", (55.7558, 37.6173)),
    City(35, "Омск", "Asia/Omsk", "omsk", (54.9885, 73.3242)),
)

EXHIBITIONS: tuple[tuple[str, str], ...] = (
    ("Детская интерактивная выставка «Корпорация кубиков»", "korporatsiya-kubikov"),
    ("Выставка «Динозавры»", "vystavka-dinozavry"),
    ("Музей оптических иллюзий", "muzej-illyuzij"),
    ("Выставка роботов «Робополис»", "robopolis"),
    ("Экспозиция «Мир насекомых»", "mir-nasekomyh"),
    ("Шоу мыльных пузырей", "shou-puzyrej"),
)
CONCERTS: tuple[tuple[str, str], ...] = (
    ("Симфонический оркестр: музыка кино", "muzyka-kino"),
    ("Стендап-концерт «Без цензуры»", "standup"),
    ("Балет «Щелкунчик»", "shchelkunchik"),
    ("Рок-хиты в сопровождении органа", "rok-organ"),
    ("Спектакль «Ревизор»", "revizor"),
)

FIRST_NAMES = ("Анна", "Иван", "Мария", "Дмитрий", "Елена", "Сергей", "Ольга", "Алексей", "Юлия", "Павел")
SURNAMES = ("Смирнов", "Иванов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков")
LATIN = ("anna", "ivan", "maria", "dima", "elena", "sergey", "olga", "alex", "julia", "pavel")

FULL = Tariff("full", "Полный", "full_", 100)
PREFERENTIAL = Tariff("preferential", "Льготный", "preferential_", 50)
SINGLE = Tariff(None, None, "full_", 100)

# Where orders are placed, with weights: the organiser's own domain, the Qtickets widget host and
# a partner's site. Box-office sales have no site at all (site_id and site null on the wire).
SITES: tuple[tuple[Site, int], ...] = (
    (Site(1356, "корпорация-кубиков.рф"), 50),
    (Site(1402, "qtickets.events"), 35),
    (Site(2211, "afisha-partner.ru"), 15),
)
# payment_type_id as captured: named handlers and a numeric id of an organiser's own acquiring.
ONLINE_PAYMENT_TYPES: tuple[tuple[str, int], ...] = (
    ("card", 62),
    ("sbp", 16),
    ("4326371", 10),
    ("pushka_card", 8),
    ("invoice", 4),
)
CARD_PAYMENT_TYPES = frozenset({"card", "4326371", "pushka_card"})  # these carry a masked card number

# Base prices in kopecks; a few carry kopecks on purpose so that float rounding shows up.
BASE_PRICES = (49000, 59000, 79000, 100000, 120000, 150000, 122203, 99950, 35050)


def ga_zone(zone_id: str, name: str, capacity: int, color: int) -> ZoneSpec:
    seat = SeatSpec(f"{zone_id}-1;1", "1", "1", capacity, False, (100 * color, 200))
    return ZoneSpec(zone_id, name, True, (SINGLE,), (seat,), color)


def seated_zone(zone_id: str, name: str, rows: int, places: int, color: int, rng: random.Random) -> ZoneSpec:
    seats = tuple(
        SeatSpec(f"{zone_id}-{r};{p}", str(r), str(p), 1, rng.random() < 0.03, (20 * p, 30 * r))
        for r in range(1, rows + 1)
        for p in range(1, places + 1)
    )
    return ZoneSpec(zone_id, name, False, (FULL, PREFERENTIAL), seats, color)


def exhibition_layout(scheme_id: int, rng: random.Random) -> Layout:
    zones = [
        ga_zone("vzroslyj-bilet", "Взрослый билет", rng.choice((200, 300, 400)), 1),
        ga_zone("detskij-bilet", "Детский билет", rng.choice((150, 200, 300)), 2),
    ]
    if rng.random() < 0.5:
        zones.append(ga_zone("semejnyj-bilet", "Семейный билет", 100, 3))
    return Layout(scheme_id, tuple(zones))


def hall_layout(scheme_id: int, rng: random.Random) -> Layout:
    zones = [
        seated_zone("PARTERRE", "Партер", rng.randint(12, 20), rng.randint(18, 30), 8, rng),
        seated_zone("BALCONY", "Балкон", rng.randint(4, 8), rng.randint(16, 24), 5, rng),
    ]
    if rng.random() < 0.4:
        zones.append(ga_zone("DANCE", "Танцевальный партер", 500, 4))
    return Layout(scheme_id, tuple(zones))


def make_venues(rng: random.Random) -> dict[int, tuple[Venue, Venue]]:
    """Per city: (an exhibition space with GA zones, a seated concert hall)."""
    venues: dict[int, tuple[Venue, Venue]] = {}
    for i, city in enumerate(CITIES):
        mall = Venue(
            f'ТЦ "Смайл Сити {city.name}"', f"ул. Учебная, {40 + i}Д", exhibition_layout(11000 + 2 * i, rng)
        )
        hall = Venue(f'ДК "Октябрь" ({city.name})', f"пр. Ленина, {80 + i}", hall_layout(11001 + 2 * i, rng))
        venues[city.id] = (mall, hall)
    return venues


def seat_name(zone: ZoneSpec, seat: SeatSpec) -> str:
    if zone.admission:
        return zone.name
    return f"{zone.name}: Ряд {seat.row}, Место {seat.place}"
