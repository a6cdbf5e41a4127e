"""Secret redaction: every message that leaves lbenroll passes through a Redactor."""

MASK = "******"


class Redactor(object):
    """Replaces every registered secret value with a mask, wherever it appears in a text."""

    def __init__(self, secrets=()):
        self._secrets = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret):
        # Very short values would mask unrelated text (a one-letter key masks every "a").
        if secret and len(secret) >= 3:
            self._secrets.add(secret)

    def __call__(self, text):
        if text is None:
            return None
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text
