"""A participant's kind of device, told from its User-Agent ("Chrome on Android"), so that the
doctor can tell two devices waiting on one link apart. Only the hint is kept, never the
User-Agent: it says no more than a person would see of the device across the room."""

import re

# The first that the User-Agent names, in this order: Chromium-based browsers also say
# "Chrome" and "Safari", and iPads may say "Macintosh".
BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "Mac"),
    ("Linux", "Linux"),
)


def _first(user_agent: str, names: tuple[tuple[str, str], ...]) -> str | None:
    return next((name for marker, name in names if marker in user_agent), None)


# Android phones name their model after the version: "(Linux; Android 14; Pixel 8)". Chrome's
# reduced User-Agent says "K" instead: no model.
ANDROID_MODEL = re.compile(r"Android [\d.]+; ([^;)]{2,24}?)(?: Build/[^;)]*)?[;)]")
MAX_HINT = 40  # the column's width


def device_hint(user_agent: str | None) -> str | None:
    """ "Chrome on Android (Pixel 8)", "Safari on iPhone", "Firefox", "Windows"; None when
    the User-Agent names no browser or system we know. Two phones of one family are told
    apart by their model, where the User-Agent gives it."""
    if not user_agent:
        return None
    browser, system = _first(user_agent, BROWSERS), _first(user_agent, SYSTEMS)
    if system == "Android" and (model := ANDROID_MODEL.search(user_agent)):
        system = f"Android ({model.group(1).strip()})"
    if browser and system:
        return f"{browser} on {system}"[:MAX_HINT]
    return (browser or system or "")[:MAX_HINT] or None
