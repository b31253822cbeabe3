"""The HTTP side: routes, who is calling, the mapping of errors, and the hooks every
request goes through (security, hostile input, rate limits, timing, streaming bodies)."""
