"""A LIFO stack of undoable changes made during one run; rolled back when a step fails."""
import logging

log = logging.getLogger("lbenroll")


class UndoStack(object):
    def __init__(self):
        self._actions = []

    def push(self, description, action):
        self._actions.append((description, action))

    def __len__(self):
        return len(self._actions)

    def rollback(self):
        """Undo everything in reverse order; return (done, failed) description lists."""
        done, failed = [], []
        while self._actions:
            description, action = self._actions.pop()
            try:
                action()
                done.append(description)
                log.info("rolled back: %s", description)
            except Exception as exc:  # one failed undo must not stop the others
                failed.append("%s (%s)" % (description, exc))
                log.error("rollback failed: %s: %s", description, exc)
        return done, failed
