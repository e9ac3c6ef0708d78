"""A widget's file upload (``multipart/form-data`` with ``file`` and ``client_message_id``), read
with the standard library's MIME parser: the channel kinds do not import the web framework."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes
    client_message_id: str


def read_upload(content_type: str, body: bytes) -> Upload | None:
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        return None
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    parsed = BytesParser(policy=HTTP).parsebytes(head + body)
    if not parsed.is_multipart():
        return None
    file: Message | None = None
    client_id = ""
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name == "file":
            file = part
        elif name == "client_message_id":
            client_id = _bytes(part).decode("utf-8", "replace").strip()
    if file is None:
        return None
    data = _bytes(file)
    filename = (file.get_filename() or "file").replace("/", "_").replace("\\", "_")[:255]
    kind = file.get_content_type() or "application/octet-stream"
    return Upload(filename=filename, content_type=kind, data=data, client_message_id=client_id)


def _bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""
