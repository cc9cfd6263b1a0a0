"""What device a user agent names, in words ("Mobile Safari on iOS, iPhone"), by ua-parser (the
uap-core rules every language port shares), for the side panel and the contact timeline."""
from functools import lru_cache

from ua_parser import parse


@lru_cache(maxsize=4096)
def device(user_agent):
    """Browser, system and device in words; the raw string when ua-parser knows none of them."""
    if not user_agent:
        return ""
    found = parse(user_agent[:1000])
    browser = found.user_agent.family if found.user_agent else None
    system = found.os.family if found.os else None
    hardware = found.device.family if found.device and found.device.family != "Other" else None
    if not (browser or system):
        return user_agent
    words = " on ".join(part for part in (browser, system) if part)
    return f"{words}, {hardware}" if hardware else words
