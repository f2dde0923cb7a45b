"""Reading ``multipart/form-data`` bodies (the two upload endpoints) with the email parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import HTTP


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name -> (filename, data)


def parse(content_type: str | None, body: bytes) -> Form | None:
    """The form's fields and files; None when the body is not multipart/form-data."""
    if not content_type or "multipart/form-data" not in content_type.lower():
        return None
    message = message_from_bytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body, policy=HTTP
    )
    if not message.is_multipart():
        return None
    form = Form()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            form.files[name] = (filename, data)
        else:
            form.fields[name] = data.decode("utf-8", "replace")
    return form
