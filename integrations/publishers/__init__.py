"""Publishers: one port (:class:`integrations.publishers.base.Publisher`) with an adapter per target."""
