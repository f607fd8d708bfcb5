"""Closed code lists for node data: IVP categories, disturbance types, sources, topics.

IVP is the *integraal veiligheidsplan*, a municipality's four-yearly integral safety
plan; its top-10 priorities below are the categories municipalities already report on.
Every code column in a node database is restricted to these lists, so no column can
carry free text (and so no personal data).
"""

from typing import Final

IVP_CATEGORIES: Final = (
    "high_impact_crime",
    "polarisation_radicalisation",
    "youth_safety",
    "undermining",
    "liveability",
    "confused_persons",
    "domestic_violence",
    "cybercrime",
    "drugs",
    "events",
)
"""The ten IVP priorities."""

DISTURBANCE_TYPES: Final = (
    "demonstration",
    "riot",
    "illegal_event",
    "giveaway_crowd",
    "youth_nuisance_online",
)
"""Public-order disturbances that often start or grow online."""

CATEGORIES: Final = IVP_CATEGORIES + DISTURBANCE_TYPES

SOURCE_TYPES: Final = (
    "police",
    "municipal_enforcement",
    "citizen_report",
    "emergency_services",
    "online_monitoring",
)
"""Where a count comes from; online_monitoring means aggregate, non-person-directed
signals (DigiKamer style), never individual posts."""

EVENT_TYPES: Final = (
    "festival",
    "kings_day",
    "new_years_eve",
    "sports_match",
    "demonstration",
    "market",
    "concert",
    "other",
)

SENTIMENT_TOPICS: Final = (
    "public_order",
    "police_trust",
    "polarisation",
    "youth",
    "events",
    "safety_general",
)

MAX_WEEKLY_COUNT: Final = 100_000
MAX_EVENT_VISITORS: Final = 2_000_000
MAX_DISTRICT_POPULATION: Final = 1_000_000
DISTRICT_CODE_PATTERN: Final = r"^WK\d{6}$"
"""CBS wijk code: WK + the municipality's four digits + a two-digit district number."""
