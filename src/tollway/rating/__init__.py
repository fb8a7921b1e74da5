"""Rating: usage records in, rated charges out.

`tollway.rating.reference` is the deliberately simple, row-by-row rater built only on the pure
pricing core; every fast engine (DuckDB today, Spark and GPU later) is checked against it with
differential tests and must agree to the last decimal.
"""
