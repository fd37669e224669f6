"""URL normalisation for article identity: the same page under cosmetic URL variants is one article."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_")
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "igshid",
        "yclid",
        "_ga",
        "ref",
        "ref_src",
        "cmpid",
        "smid",
        "smtyp",
        "ocid",
        "taid",
        "mbid",
        "at_medium",
        "at_campaign",
        "cid",
        "s_cid",
    }
)


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments, tracking parameters
    and a trailing slash; keep the remaining query parameters in a stable order."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "https"
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(TRACKING_PREFIXES) and k.lower() not in TRACKING_PARAMS
    ]
    query.sort()
    if scheme == "http":
        scheme = "https"
    return urlunsplit((scheme, netloc, "" if path == "/" else path, urlencode(query), ""))
