"""The custom field keys contacts use, cached for a few seconds: finding them reads every contact."""
import json

from sqlalchemy import true

from webapp.audience.export import custom_field_keys
from webapp.common.queues import redis_connection

KEYS_IN_USE_KEY = "audience:custom-field-keys"
KEYS_IN_USE_SECONDS = 30


def keys_in_use():
    """Every custom field key any contact has, sorted; up to KEYS_IN_USE_SECONDS old."""
    redis = redis_connection()
    cached = redis.get(KEYS_IN_USE_KEY)
    if cached is not None:
        return json.loads(cached)
    keys = custom_field_keys(true())
    redis.set(KEYS_IN_USE_KEY, json.dumps(keys), ex=KEYS_IN_USE_SECONDS)
    return keys


def spellings(key):
    """The stored keys that are `key` up to case ("Plan" finds "plan"), `key` itself included."""
    folded = key.casefold()
    return sorted({key, *(stored for stored in keys_in_use() if stored.casefold() == folded)})
