"""Named pricing and proration conventions, and the compatibility profiles that set them all at once.

Owns: every option where established billing systems differ (rounding, tier bounds, proration day
counting and denominators, credit basis), as one frozen `Conventions` value, and the profiles
`tollway`, `lago`, `killbill`, `stripe`, `openmeter`, `cgrates`.
Invariants: an option is an enum or a bounded number, never free text (text is turned into the
enum member it names, or refused with `ConventionError`); a profile is complete.
May import: `tollway.money` and the standard library. Never I/O.
"""

from tollway.conventions._options import (
    ConventionError,
    Conventions,
    CreditBasis,
    PackageRounding,
    PartialDay,
    ProrationBasis,
    ProrationDenominator,
    TierBounds,
    VolumeTierLookup,
)
from tollway.conventions._profiles import PROFILE_NAMES, UnknownProfileError, profile

__all__ = [
    "PROFILE_NAMES",
    "ConventionError",
    "Conventions",
    "CreditBasis",
    "PackageRounding",
    "PartialDay",
    "ProrationBasis",
    "ProrationDenominator",
    "TierBounds",
    "UnknownProfileError",
    "VolumeTierLookup",
    "profile",
]
