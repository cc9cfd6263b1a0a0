"""A Redis key kept alive while a long piece of work runs, so others can tell running from dead.

A thread renews the key every `ttl / 3` seconds; a process that is killed stops renewing and the
key expires within `ttl`. Used where the work is one long database statement that cannot stop
to say it is alive (recipient resolution).
"""
import threading


class Heartbeat:
    def __init__(self, redis, key, ttl_seconds):
        self.redis, self.key, self.ttl = redis, key, ttl_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat {key}", daemon=True)

    def __enter__(self):
        self.redis.set(self.key, 1, ex=self.ttl)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stopped.set()
        self._thread.join()
        self.redis.delete(self.key)

    def _beat(self):
        while not self._stopped.wait(self.ttl / 3):
            self.redis.set(self.key, 1, ex=self.ttl)


def is_alive(redis, key):
    return bool(redis.exists(key))
