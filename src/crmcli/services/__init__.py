"""The policies as plain functions over a session and an ``as_of`` day."""
