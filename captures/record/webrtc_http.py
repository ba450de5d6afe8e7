#!/usr/bin/env python3
"""WebRTC call with HTTP signalling, after aiortc's "server" example: an aiohttp server on
http://127.0.0.1:8080 answers POST /offer (JSON {"sdp": ..., "type": "offer"}) with JSON
{"sdp": ..., "type": "answer"}; the client (caller) sends a 440 Hz tone track (Opus) for a few
seconds over DTLS-SRTP, then closes. Cleartext HTTP/1.1, one TCP connection, closed after the answer.
ICE host candidates are restricted to 127.0.0.1 (aioice skips loopback by default), no STUN server.
Usage: webrtc_http.py server | client     (run both inside a netns that only has lo; see webrtc-http-signaling.sh)"""
import asyncio, array, fractions, json, math, sys
import aioice.ice
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []
import aiohttp
from aiohttp import web
import av
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

URL = "http://127.0.0.1:8080/offer"
SECONDS = 3.0

class Tone(MediaStreamTrack):
    kind = "audio"
    def __init__(self):
        super().__init__(); self.pts = 0; self.start = None
    async def recv(self):
        loop = asyncio.get_event_loop()
        if self.start is None: self.start = loop.time()
        await asyncio.sleep(max(0, self.start + self.pts / 48000 - loop.time()))
        n = 960
        pcm = array.array("h", (int(8000 * math.sin(2 * math.pi * 440 * (i + self.pts) / 48000)) for i in range(n)))
        frame = av.AudioFrame(format="s16", layout="mono", samples=n)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = 48000; frame.pts = self.pts; frame.time_base = fractions.Fraction(1, 48000)
        self.pts += n
        return frame

async def server():
    done = asyncio.Event(); count = {"frames": 0}
    async def offer(request):
        params = await request.json()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        @pc.on("track")
        def on_track(track):
            async def drain():
                while True:
                    try: await track.recv()
                    except Exception: return
                    count["frames"] += 1
            asyncio.ensure_future(drain())
        @pc.on("connectionstatechange")
        async def on_state():
            if pc.connectionState in ("closed", "failed"):
                await pc.close(); done.set()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=params["sdp"], type=params["type"]))
        await pc.setLocalDescription(await pc.createAnswer())
        return web.json_response({"sdp": pc.localDescription.sdp, "type": pc.localDescription.type},
                                 headers={"Server": "teleprobe-clinic/1.0"})
    app = web.Application(); app.router.add_post("/offer", offer)
    runner = web.AppRunner(app); await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 8080).start()
    print("server listening", flush=True)
    try: await asyncio.wait_for(done.wait(), 30)
    except asyncio.TimeoutError: pass
    await asyncio.sleep(0.5)
    print("server: frames received:", count["frames"])
    await runner.cleanup()

async def client():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone())
    await pc.setLocalDescription(await pc.createOffer())
    async with aiohttp.ClientSession(headers={"User-Agent": "teleprobe-patient-app/1.0"}) as s:
        async with s.post(URL, json={"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}) as r:
            answer = await r.json()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
    await asyncio.sleep(SECONDS)
    print("client: ice", pc.iceConnectionState, "connection", pc.connectionState)
    await pc.close()

asyncio.run(server() if sys.argv[1:] == ["server"] else client())
