"""Hooks: how a lower layer lets a higher one react to its changes without importing it.

audience cannot import sending (sending is built on audience), yet deleting a contact must
detach its recipient rows, and a contact's timeline lists its mass emails. So audience
declares a Hooks list and sending registers its function there in its init_app.
"""


class Hooks:
    """An ordered set of functions; registering one twice (a second app in tests) keeps one."""

    def __init__(self):
        self._functions = []

    def register(self, function):
        if function not in self._functions:
            self._functions.append(function)
        return function

    def __iter__(self):
        return iter(list(self._functions))
