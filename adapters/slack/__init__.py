"""The Slack adapter: slack-bolt ``AsyncApp`` in HTTP mode (``/slack/events``) or Socket Mode.

Usage::

    from adapters.slack import SlackChannel
    channel = SlackChannel(runtime)       # needs SLACK_BOT_TOKEN (+ signing secret or app token)
"""

from __future__ import annotations

from adapters.slack.channel import SlackChannel

__all__ = ["SlackChannel"]
