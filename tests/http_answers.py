"""Real requests.Response objects over a real urllib3 stream, without a socket.

The body goes through urllib3's own Content-Encoding decoding and requests' iter_content, as a
network answer would: a unit test of a gzip bomb exercises the real decoder.
"""
import gzip
import io

import requests
import urllib3


def answer(status, body, encoding=None):
    """A streamed (stream=True) response with body, sent with Content-Encoding encoding."""
    headers = {"Content-Encoding": encoding} if encoding else {}
    response = requests.Response()
    response.status_code = status
    response.raw = urllib3.HTTPResponse(body=io.BytesIO(body), headers=headers, status=status,
                                        preload_content=False, decode_content=True)
    return response


def gzip_bomb(size):
    """A gzip body that decodes to size bytes of zeros (about size/1000 bytes on the wire)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as f:
        block = b"\0" * (1024 * 1024)
        for _ in range(size // len(block)):
            f.write(block)
    return out.getvalue()
