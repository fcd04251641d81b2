"""A signing service in another process, for ferrotls-tokio's pause tests.

Holds an ECDSA P-256 private key (PKCS#8 DER, path in argv[1]) and listens on
127.0.0.1 (port in argv[2], 0 for any); prints "PORT <n>" once listening. Each
connection carries one request:

    'S' scheme:u16 len:u32 message   -> sign after DELAY: 0 len:u32 DER signature
                                        (or 1 len:u32 error text)
    'Q'                              -> 0 len:u32 "requests=<n> max_in_flight=<m>"

Every signing request waits DELAY seconds before signing, as a remote KMS would,
and the service counts how many requests it holds at once.
"""

import asyncio
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

DELAY = 0.020
ECDSA_SECP256R1_SHA256 = 0x0403


class Stats:
    requests = 0
    in_flight = 0
    max_in_flight = 0


def reply(writer, status, payload):
    writer.write(bytes([status]) + struct.pack(">I", len(payload)) + payload)


async def handle(key, reader, writer):
    try:
        kind = await reader.readexactly(1)
        if kind == b"Q":
            text = f"requests={Stats.requests} max_in_flight={Stats.max_in_flight}"
            reply(writer, 0, text.encode())
        elif kind == b"S":
            scheme, length = struct.unpack(">HI", await reader.readexactly(6))
            message = await reader.readexactly(length)
            Stats.requests += 1
            Stats.in_flight += 1
            Stats.max_in_flight = max(Stats.max_in_flight, Stats.in_flight)
            try:
                await asyncio.sleep(DELAY)
            finally:
                Stats.in_flight -= 1
            if scheme != ECDSA_SECP256R1_SHA256:
                reply(writer, 1, f"scheme 0x{scheme:04x} is not supported".encode())
            else:
                reply(writer, 0, key.sign(message, ec.ECDSA(hashes.SHA256())))
        else:
            reply(writer, 1, b"unknown request")
        await writer.drain()
    except asyncio.IncompleteReadError:
        pass
    finally:
        writer.close()


async def main():
    with open(sys.argv[1], "rb") as f:
        key = serialization.load_der_private_key(f.read(), password=None)
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    server = await asyncio.start_server(
        lambda r, w: handle(key, r, w), "127.0.0.1", port, backlog=4096
    )
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
