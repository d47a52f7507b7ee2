"""Journeys: sessions, touchpoints and the channel each touchpoint came from."""
