"""Leads: qualification form, routing to CCI desks, scoring, storage, delivery."""

from __future__ import annotations
