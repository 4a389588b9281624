"""Renderers: neutral `Message`s as terminal text, Slack Block Kit and Discord payloads.

Pure functions only; adapters send what these return. `limits` checks a payload against
the platform's limits, `actions` encodes buttons and decodes presses.
"""
