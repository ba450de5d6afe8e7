#!/usr/bin/env python3
"""aioquic QUIC v1 echo server + client on 127.0.0.1:4433 in one process.
Client: server_name (SNI) clinic.example, ALPN "hq-interop", sends one stream message, reads the echo,
closes the connection. Usage: quic_echo.py CERT KEY"""
import asyncio, ssl, sys
from aioquic.asyncio import connect, serve
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import StreamDataReceived

class Echo(QuicConnectionProtocol):
    def quic_event_received(self, event):
        if isinstance(event, StreamDataReceived):
            self._quic.send_stream_data(event.stream_id, b"echo: " + event.data, end_stream=event.end_stream)
            self.transmit()

async def main(cert, key):
    scfg = QuicConfiguration(is_client=False, alpn_protocols=["hq-interop"])
    scfg.load_cert_chain(cert, key)
    server = await serve("127.0.0.1", 4433, configuration=scfg, create_protocol=Echo)
    ccfg = QuicConfiguration(is_client=True, alpn_protocols=["hq-interop"], server_name="clinic.example",
                             verify_mode=ssl.CERT_NONE)
    async with connect("127.0.0.1", 4433, configuration=ccfg) as client:
        r, w = await client.create_stream()
        w.write(b"GET /appointments/today\r\n"); w.write_eof()
        print((await r.read()).decode())
        await client.ping()
    await asyncio.sleep(0.5)
    server.close()

asyncio.run(main(sys.argv[1], sys.argv[2]))
