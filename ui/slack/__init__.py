"""The Slack bot: a thin Bolt adapter over the same :class:`agent.runtime.studio.Studio` the web chat uses.

* ``app.py`` builds the Bolt app (HTTP at ``/slack/events`` or Socket Mode) and the ASGI app around it;
* ``listeners/`` — commands, events, actions and views, each with ``register(app, service)``;
* ``blocks.py`` — Block Kit builders, pure functions (replies, draft views, approvals, modals);
* ``commands.py`` — ``/studio`` sub-commands, parsed (pure);
* ``service.py`` — what the listeners call: identities, rate limit, files, agent turns (words) and actions
  (buttons and forms, ``Studio.run_action``), replies;
* ``files.py`` — Slack files fetched safely (``files.info``, then the bot-token download, capped);
* ``installation_store.py`` — OAuth installs in SQL, bot tokens encrypted.

The per-user rate limit is ``integrations.ratelimit``; the fake Slack Web API for tests is
``tests/fakes/slack_api.py``.
"""
