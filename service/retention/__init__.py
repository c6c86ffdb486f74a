"""Retention: periods per agency and kind of data, and the sweep that erases what passed them."""
