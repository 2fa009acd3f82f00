"""The version a caller saw, from HTTP: ``ETag`` on reads, ``If-Match`` or a body ``version``
on writes.

The ETag is the version and the status (``"2.proposed"``): an approval changes the status but
not the version, so an editor who sends back the ETag of a proposal learns (409) that it was
approved meanwhile. A body ``version`` says only which version the caller decided on.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header
from fastapi.exceptions import RequestValidationError

from slo_scout.control.preconditions import Seen

IfMatch = Annotated[str | None, Header(
    alias="If-Match", max_length=200,
    description='the ETag of the GET you decided on, e.g. "2.proposed"; '
                "instead of, or agreeing with, the body's version",
)]

_ETAG = re.compile(r'^"(?P<version>[1-9][0-9]{0,9})\.(?P<status>[a-z]{1,20})"$')


def etag(version: int, status: str) -> str:
    return f'"{version}.{status}"'


def _invalid(field: tuple[str, str], message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": field, "msg": message, "type": "value_error"}])


def seen(version: int | None, if_match: str | None) -> Seen | None:
    """The caller's precondition from the body's ``version`` and the ``If-Match`` header, if
    they gave one; a 422 naming the field when the header is not one of our ETags or the two
    disagree."""
    if if_match is None:
        return None if version is None else Seen(version)
    found = _ETAG.match(if_match.strip())
    if found is None:
        raise _invalid(("header", "If-Match"), 'send one ETag exactly as GET returned it, '
                       'e.g. "2.proposed" (no W/, no *, no list)')
    from_header = Seen(int(found["version"]), found["status"])
    if version is not None and version != from_header.version:
        raise _invalid(("body", "version"), f"is {version} but If-Match names version "
                       f"{from_header.version}; send one, or the same in both")
    return from_header


def reviewed(version: int | None, if_match: str | None) -> Seen:
    """As :func:`seen`, for a review, which must say what it reviewed: 422 naming ``version``
    when neither is given."""
    found = seen(version, if_match)
    if found is None:
        raise _invalid(("body", "version"), "required: the version you reviewed (GET's "
                       "`version`), or send If-Match with GET's ETag")
    return found
