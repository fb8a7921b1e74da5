"""Test-wide settings: floats mixed into Decimals fail loudly; hypothesis profiles for CI and local runs."""

import decimal
import os

from hypothesis import HealthCheck, settings

# Any float that sneaks into Decimal arithmetic anywhere in a test raises instead of passing silently.
decimal.getcontext().traps[decimal.FloatOperation] = True

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
