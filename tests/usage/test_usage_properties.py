"""Properties of a load over random mixes of good and bad records, in CSV and JSON Lines."""

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tollway.usage import UsageStore, connect_duckdb, load_usage

OFFSETS = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]

# What each kind of record breaks, and the reason it must be rejected for (None: accepted).
KINDS = {
    "good": None,
    "negative": "negative_quantity",
    "too_precise": "quantity_precision",
    "without_zone": "timestamp_without_zone",
    "missing_unit": "missing_field",
    "not_a_time": "bad_timestamp",
}


@dataclass(frozen=True)
class Sent:
    """One record as sent, with what it must become."""

    record_id: str
    start: datetime
    quantity: Decimal
    kind: str

    def fields(self) -> dict[str, str]:
        quantity = format(self.quantity, "f")
        start_time = self.start.isoformat()
        if self.kind == "negative" and self.quantity != 0:
            quantity = "-" + quantity
        elif self.kind == "negative":
            quantity = "-1"
        elif self.kind == "too_precise":
            quantity = quantity + ("" if "." in quantity else ".") + "0000000001"
        elif self.kind == "without_zone":
            start_time = self.start.replace(tzinfo=None).isoformat()
        elif self.kind == "not_a_time":
            start_time = self.start.strftime("%d/%m/%Y %H:%M")
        return {
            "record_id": self.record_id,
            "source": "switch-a",
            "circuit_id": "CIR-1",
            "usage_type": "data",
            "start_time": start_time,
            "quantity": quantity,
            "unit": "" if self.kind == "missing_unit" else "GB",
        }


@st.composite
def sent_record(draw: st.DrawFn, index: int) -> Sent:
    start = draw(
        st.datetimes(
            min_value=datetime(2023, 12, 31),
            max_value=datetime(2024, 12, 31),
            timezones=st.sampled_from(OFFSETS),
        )
    )
    # Any digits at any of the 9 places kept: a count of the smallest unit, scaled.
    places = draw(st.integers(min_value=0, max_value=9))
    quantity = Decimal(draw(st.integers(min_value=0, max_value=10**21))).scaleb(-places)
    # Half the records good, half broken in one way each.
    kind = draw(st.one_of(st.just("good"), st.sampled_from(sorted(set(KINDS) - {"good"}))))
    return Sent(record_id=f"cdr-{index}", start=start, quantity=quantity, kind=kind)


@st.composite
def sent_records(draw: st.DrawFn) -> list[Sent]:
    count = draw(st.integers(min_value=0, max_value=12))
    return [draw(sent_record(index)) for index in range(count)]


def write_usage(folder: Path, records: list[Sent], *, file_format: str) -> Path:
    rows = [record.fields() for record in records]
    if file_format == "jsonl":
        path = folder / "usage.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        return path
    path = folder / "usage.csv"
    header = "record_id,source,circuit_id,usage_type,start_time,quantity,unit"
    lines = [header] + [",".join(row.values()) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@settings(max_examples=15, deadline=None)
@given(records=sent_records(), file_format=st.sampled_from(["csv", "jsonl"]))
def test_every_record_is_accounted_for_and_good_ones_read_back_exactly(
    records: list[Sent], file_format: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = UsageStore(Path(folder) / "store")
        usage = write_usage(Path(folder), records, file_format=file_format)

        report = load_usage([usage], store=store, load_id="load-1")

        assert report.submitted == len(records)
        assert report.accepted + report.rejected == report.submitted
        expected_reasons: dict[str, int] = {}
        for record in records:
            reason = KINDS[record.kind]
            if reason is not None:
                expected_reasons[reason] = expected_reasons.get(reason, 0) + 1
        assert report.rejected_by_reason == dict(sorted(expected_reasons.items()))

        good = {
            record.record_id: (record.quantity, record.start, record.start.astimezone(UTC))
            for record in records
            if record.kind == "good"
        }
        connection = connect_duckdb()
        stored = {
            record_id: (quantity, start_time, period)
            for stored_period in store.periods()
            for record_id, quantity, start_time, period in connection.execute(
                f"SELECT record_id, quantity, start_time, period FROM ({store.scan_sql(stored_period)})"
            ).fetchall()
        }
        connection.close()
        assert stored.keys() == good.keys()
        for record_id, (quantity, start, start_utc) in good.items():
            assert stored[record_id] == (quantity, start, start_utc.strftime("%Y-%m"))
